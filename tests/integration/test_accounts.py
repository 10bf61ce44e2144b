"""Accounts: sign-up by mailed link, login and logout, sessions, password reset, profile, roles,
CLI."""

import re
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shophub.accounts import mails, users
from shophub.accounts.auth import safe_next_url
from shophub.extensions import db
from shophub.models import PasswordResetToken, PendingJob, SignupToken, User
from shophub.platform import mail, queue
from tests.checkout_data import page
from tests.shop_data import PASSWORD, log_in, mailed_link, mails_to, make_user


def outbox(app):
    queue.wait_for_inline_jobs()  # sign-up and reset mails go out after the answer
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def register(client, email="New.Person@Example.COM", name="New Person", query=""):
    return client.post(f"/account/register{query}", data={"name": name, "email": email})


def signup_link(app, email="new.person@example.com") -> str:
    return mailed_link(app.config["MAIL_OUTBOX"], email, "/account/register/")


def test_signing_up_by_the_mailed_link_normalises_the_email_logs_in_and_mails_a_welcome(
        app, client):
    response = register(client)
    assert response.status_code == 200
    assert "Check your email" in page(response)
    link = signup_link(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(SignupToken.email)) == "new.person@example.com"
    form = client.get(link)
    assert form.status_code == 200 and "new.person@example.com" in page(form)
    response = client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "new.person@example.com"
        assert user.name == "New Person"
        assert user.role == "customer"
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash
    assert "Welcome" in client.get("/account/profile").get_data(as_text=True)
    subjects = [m["Subject"] for m in outbox(app)]
    store = app.config["STORE_NAME"]
    assert subjects == [f"Finish creating your account at {store}", f"Welcome to {store}"]


def test_a_signup_link_works_once_and_only_for_its_time(app, client):
    register(client)
    link = signup_link(app)
    assert client.post(link, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    again = app.test_client().post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert again.status_code == 410 and "already been used" in page(again)
    register(app.test_client(), "late@example.com")
    late = signup_link(app, "late@example.com")
    with app.app_context():
        token = db.session.scalar(
            select(SignupToken).where(SignupToken.email == "late@example.com"))
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    expired = app.test_client().get(late)
    assert expired.status_code == 410 and "expired" in page(expired)
    assert app.test_client().get("/account/register/made-up-token").status_code == 410
    assert app.test_client().get("/account/register/" + "x" * 500).status_code == 410


def test_a_signup_link_keeps_where_the_shopper_was_going(app, client):
    register(client, query="?next=/checkout")
    response = client.post(signup_link(app), data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303 and response.location == "/checkout"


def test_register_refuses_a_malformed_email(app, client):
    response = register(client, "not-an-email")
    assert response.status_code == 422
    assert "That email address is not valid" in page(response)
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", None, "Use at least 10 characters."),
        ("aaaaaaaaaaaa", None, "Use more than three different characters."),
        ("password123", None, "too easy to guess"),
        (PASSWORD, "something else", "The passwords do not match."),
    ],
)
def test_the_signup_link_refuses_a_weak_password_and_stays_usable(app, client, password,
                                                                   confirm, message):
    register(client)
    link = signup_link(app)
    response = client.post(link, data={"password": password,
                                       "confirm": confirm if confirm is not None else password})
    assert response.status_code == 422
    assert message in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert client.post(link, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 303


def _csrf_free(html: str, *emails: str) -> str:
    html = re.sub(r'(name="csrf_token"[^>]*value=|"X-CSRFToken": )"[^"]+"', r"\1T", html)
    for email in emails:
        html = html.replace(email, "E")
    return html


def test_registering_a_known_email_answers_the_same_and_tells_its_owner(app, client):
    with app.app_context():
        make_user("taken@example.com")
    known = register(client, "TAKEN@example.com")
    unknown = register(app.test_client(), "fresh@example.com")
    assert known.status_code == unknown.status_code == 200
    assert _csrf_free(page(known), "TAKEN@example.com") == _csrf_free(page(unknown),
                                                                       "fresh@example.com")
    assert "already exists" not in page(known)
    (note,) = mails_to(app.config["MAIL_OUTBOX"], "taken@example.com")
    assert note["Subject"].strip() == f"You already have an account at {app.config['STORE_NAME']}"
    text = note.get_body(("plain",)).get_content()
    assert "/account/login" in text and "/account/password/reset" in text
    assert "/account/register/" not in text  # no link that could change the account
    register(app.test_client(), "taken@example.com")  # at most one such note an hour
    assert len(mails_to(app.config["MAIL_OUTBOX"], "taken@example.com")) == 1
    assert log_in(app.test_client(), "taken@example.com").status_code == 303


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True,
                                         "RATELIMIT_LOGIN": "1000 per minute",
                                         "RATELIMIT_ACCOUNT": "1000 per minute"}])
@pytest.mark.parametrize("path", ["/account/register", "/account/password/reset"])
def test_register_and_reset_answer_alike_and_as_fast_for_known_and_unknown_emails(app, path):
    with app.app_context():
        make_user("known@example.com")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies = set()
    for attempt in range(20):
        for kind in ("known", "unknown") if attempt % 2 else ("unknown", "known"):
            email = "known@example.com" if kind == "known" else f"nobody{attempt}@example.com"
            client = app.test_client()
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                              client.get(path).get_data(as_text=True)).group(1)
            started = time.perf_counter()
            response = client.post(path, data={"email": email, "name": "N",
                                               "csrf_token": token})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200, (kind, response.status_code)
            bodies.add(_csrf_free(page(response), email))
            queue.wait_for_inline_jobs()  # each answer is timed on its own
    assert len(bodies) == 1
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    assert max(known, unknown) < 2 * min(known, unknown), (known, unknown)
    mailed = mails_to(app.config["MAIL_OUTBOX"], "known@example.com")
    assert len(mailed) == (20 if "reset" in path else 1)  # the account's owner was told


def test_login_renews_the_session_and_logout_is_a_post(app, client):
    with app.app_context():
        make_user()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = log_in(client)
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 303
    assert client.get("/account/profile").status_code == 302


def test_wrong_password_unknown_email_and_inactive_account_fail_alike(app, client):
    with app.app_context():
        make_user()
        make_user("off@example.com")
        db.session.scalar(select(User).where(User.email == "off@example.com")).active = False
        db.session.commit()
    for email, password in (("shopper@example.com", "wrong password!"),
                            ("nobody@example.com", PASSWORD), ("off@example.com", PASSWORD)):
        response = log_in(client, email, password)
        assert response.status_code == 422
        assert "That email and password do not match an account." in response.get_data(
            as_text=True)
    assert client.get("/account/profile").status_code == 302


def test_remember_me_sets_a_lasting_cookie(app, client):
    with app.app_context():
        make_user()
    cookies = log_in(client, remember=True).headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "Expires=" in c for c in cookies)


def test_next_parameter_cannot_leave_the_site(app, client):
    with app.app_context():
        make_user()
    response = client.post("/account/login?next=https://evil.example/",
                           data={"email": "shopper@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/account"
    assert safe_next_url("//evil.example/x", "/d") == "/d"
    assert safe_next_url("/\\evil.example", "/d") == "/d"
    assert safe_next_url("/account/wishlist?x=1", "/d") == "/account/wishlist?x=1"


def test_change_password_logs_out_other_sessions(app):
    with app.app_context():
        make_user()
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here)
    log_in(elsewhere)
    new = "a much better passphrase"
    wrong = here.post("/account/password", data={
        "current": "not it at all", "password": new, "confirm": new})
    assert wrong.status_code == 422
    assert "Your current password is not correct." in wrong.get_data(as_text=True)
    response = here.post("/account/password", data={
        "current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 303
    assert here.get("/account/profile").status_code == 200
    assert elsewhere.get("/account/profile").status_code == 302
    assert log_in(app.test_client(), password=new).status_code == 303


def test_profile_changes_name_and_email_but_not_to_a_taken_one(app, client):
    with app.app_context():
        make_user()
        make_user("other@example.com")
    log_in(client)
    taken = client.post("/account/profile", data={"name": "X", "email": "Other@example.com"})
    assert taken.status_code == 422
    assert "Another account already uses this email." in taken.get_data(as_text=True)
    ok = client.post("/account/profile", data={"name": "Sam S.", "email": "sam@example.com"})
    assert ok.status_code == 303
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        assert emails == {"sam@example.com", "other@example.com"}


def _reset_link(app) -> str:
    return mailed_link(app.config["MAIL_OUTBOX"], "shopper@example.com", "/account/password/reset/")


def test_reset_answers_the_same_for_unknown_emails(app, client):
    with app.app_context():
        make_user()
    known = client.post("/account/password/reset", data={"email": "shopper@example.com"})
    unknown = client.post("/account/password/reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: html.replace("shopper@example.com", "E").replace(  # noqa: E731
        "nobody@example.com", "E")
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert len(outbox(app)) == 1


def test_the_reset_answer_does_not_wait_for_the_mail_whose_job_holds_no_secret(
        app, client, monkeypatch):
    with app.app_context():
        make_user()
    gate = threading.Event()
    making = mails.mail_reset_link

    def held_up(email):
        gate.wait(10)
        return making(email)

    monkeypatch.setattr(mails, "mail_reset_link", held_up)
    try:
        started = time.monotonic()
        response = client.post("/account/password/reset", data={"email": "shopper@example.com"})
        assert response.status_code == 200
        assert time.monotonic() - started < app.config["INLINE_JOB_WAIT_SECONDS"]
        assert mail.outbox_messages(app.config["MAIL_OUTBOX"]) == []
        with app.app_context():
            (row,) = db.session.scalars(select(PendingJob)).all()
            assert row.function == "shophub.accounts.jobs.reset_link_job"
            assert row.arguments["args"] == ["shopper@example.com"]
    finally:
        gate.set()
    assert len(outbox(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0


def test_reset_token_works_once_and_logs_other_sessions_out(app):
    with app.app_context():
        make_user()
    other_device = app.test_client()
    log_in(other_device)
    client = app.test_client()
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    link = _reset_link(app)
    new = "brand new passphrase"
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 303
    again = app.test_client().post(link, data={"password": "another passphrase",
                                               "confirm": "another passphrase"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert other_device.get("/account/profile").status_code == 302
    assert log_in(app.test_client(), password=new).status_code == 303


def test_expired_and_unknown_reset_tokens_are_refused(app, client):
    with app.app_context():
        make_user()
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    link = _reset_link(app)
    with app.app_context():
        token = db.session.scalar(select(PasswordResetToken))
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    response = client.post(link, data={"password": "brand new passphrase",
                                       "confirm": "brand new passphrase"})
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/account/password/reset/made-up-token").status_code == 410
    assert log_in(app.test_client()).status_code == 303


def test_a_newer_reset_spends_older_links(app, client):
    with app.app_context():
        make_user()
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    first = _reset_link(app)
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    second = _reset_link(app)
    assert first != second
    new = "brand new passphrase"
    assert client.post(second, data={"password": new, "confirm": new}).status_code == 303
    assert app.test_client().get(first).status_code == 410


def test_create_admin_prompts_for_the_password_and_promotes(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["shophub", "create-admin", "Boss@Example.com"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    with app.app_context():
        make_user("clerk@example.com")
        boss = users.find_by_email("boss@example.com")
        assert boss.role == "admin"
    result = runner.invoke(args=["shophub", "create-admin", "clerk@example.com"], input="\n")
    assert result.exit_code == 0, result.output
    assert "Promoted admin clerk@example.com." in result.output
    with app.app_context():
        assert users.find_by_email("clerk@example.com").role == "admin"
    assert log_in(app.test_client(), "clerk@example.com").status_code == 303
    weak = runner.invoke(args=["shophub", "create-admin", "new@example.com"], input="x\nx\n")
    assert weak.exit_code != 0 and "Use at least 10 characters." in weak.output


def test_a_deactivated_account_is_logged_out_at_its_next_request(app, client):
    with app.app_context():
        make_user()
    log_in(client, remember=True)
    assert client.get("/account/profile").status_code == 200
    with app.app_context():
        users.find_by_email("shopper@example.com").active = False
        db.session.commit()
    assert client.get("/account/profile").status_code == 302


def test_a_reset_link_of_a_deactivated_account_is_refused(app, client):
    with app.app_context():
        make_user()
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    link = _reset_link(app)
    with app.app_context():
        users.find_by_email("shopper@example.com").active = False
        db.session.commit()
    response = client.post(link, data={"password": "brand new passphrase",
                                       "confirm": "brand new passphrase"})
    assert response.status_code == 410
    assert client.get("/account/profile").status_code == 302


def test_a_weak_new_password_keeps_the_reset_link_usable(app, client):
    with app.app_context():
        make_user()
    client.post("/account/password/reset", data={"email": "shopper@example.com"})
    link = _reset_link(app)
    weak = client.post(link, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    assert "Use at least 10 characters." in weak.get_data(as_text=True)
    new = "brand new passphrase"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 303


def copy_of(client, cookie: str = "session"):
    """Another browser holding a copy of `client`'s cookie."""
    thief = client.application.test_client()
    thief.set_cookie(cookie, client.get_cookie(cookie).value)
    return thief


def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(app, client):
    with app.app_context():
        make_user("kim@example.com")
    log_in(client, "kim@example.com")
    thief = copy_of(client)
    assert thief.get("/account/profile").status_code == 200  # the copy works while logged in
    assert client.post("/account/logout").status_code == 303
    assert thief.get("/account/profile").status_code == 302


def test_logout_ends_the_remember_me_cookie_too(app, client):
    with app.app_context():
        make_user("kim@example.com")
    log_in(client, "kim@example.com", remember=True)
    thief = copy_of(client, "remember_token")
    assert thief.get("/account/profile").status_code == 200
    client.post("/account/logout")
    assert thief.get("/account/profile").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_account(app, client):
    with app.app_context():
        make_user("kim@example.com")
    log_in(client, "kim@example.com")
    laptop = app.test_client()
    log_in(laptop, "kim@example.com")
    thief = copy_of(client)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "Sign out everywhere" in profile
    response = client.post("/account/sessions/end")
    assert response.status_code == 303 and response.location.endswith("/account/login")
    for browser in (client, laptop, thief):
        assert browser.get("/account/profile").status_code == 302
    log_in(client, "kim@example.com")  # the password still works
    assert client.get("/account/profile").status_code == 200


def test_sign_out_everywhere_is_a_post_for_logged_in_accounts_only(app, client):
    assert client.get("/account/sessions/end").status_code == 405
    assert client.post("/account/sessions/end").status_code == 302


def test_a_cookie_copied_before_a_deactivation_stays_dead_after_reactivation(app, client):
    from shophub.admin.people import service as staff

    with app.app_context():
        make_user("kim@example.com")
        make_user("boss@example.com", role="admin")
    log_in(client, "kim@example.com")
    thief = copy_of(client)
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.email == "boss@example.com"))
        kim = db.session.scalar(select(User).where(User.email == "kim@example.com"))
        staff.deactivate(boss, kim)
        staff.reactivate(boss, kim)
    assert thief.get("/account/profile").status_code == 302
