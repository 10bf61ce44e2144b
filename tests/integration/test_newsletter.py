"""The newsletter: double opt-in, campaigns sent in batches (each mail once), and unsubscribe."""

import csv
import io
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Campaign,
    CampaignDelivery,
    PendingJob,
    Store,
    StoreDomain,
    Subscriber,
    User,
)
from shophub.newsletter import sending, service, unsubscribe
from shophub.newsletter.jobs import campaign_batch_job, delivery_job
from shophub.platform import mail, queue, tenancy
from tests.checkout_data import CONTACT, add_to_cart, make_method, page
from tests.shop_data import log_in, mailed_link, mails_to, make_user, make_variant


class Killed(BaseException):
    """What a worker that dies mid-job looks like from inside: nothing catches it."""


@pytest.fixture
def app_config():
    # Small batches, and no waiting between retries of a failed mail job.
    return {"NEWSLETTER_BATCH_SIZE": 60, "JOB_RETRY_INTERVALS": []}


def outbox(app) -> list:
    queue.wait_for_inline_jobs()
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def campaign_mails(app) -> list:
    return [message for message in outbox(app) if message["Subject"] == "Winter news"]


def subscribers_with(status: str) -> list[str]:
    queue.wait_for_inline_jobs()  # sign-ups are made by a job the request does not wait for
    db.session.expire_all()
    return list(db.session.scalars(select(Subscriber.email).where(Subscriber.status == status)
                                   .order_by(Subscriber.email)))


def add_subscribers(count: int, status: str = "confirmed", prefix: str = "reader") -> None:
    db.session.add_all([Subscriber(email=f"{prefix}{n}@example.com", status=status)
                        for n in range(count)])
    db.session.commit()


def make_campaign(subject: str = "Winter news", body: str = "Hello **everyone**.") -> int:
    user = db.session.scalars(select(User)).first()
    campaign = Campaign(subject=subject, body_markdown=body,
                        created_by_id=user.id if user else None)
    db.session.add(campaign)
    db.session.commit()
    return campaign.id


def sign_up(client, email: str, headers=None):
    return client.post("/newsletter/subscribe", data={"email": email}, headers=headers)


def confirm_link(app, email: str) -> str:
    return mailed_link(app.config["MAIL_OUTBOX"], email, "/newsletter/confirm/")


@pytest.fixture
def admin(app, client):
    """`client`, logged in as an admin of the default store."""
    with app.app_context():
        make_user("boss@example.com", role="admin")
    assert log_in(client, "boss@example.com").status_code in (302, 303)
    return client


# --- double opt-in ------------------------------------------------------------------------------

def test_a_sign_up_is_pending_until_its_mailed_link_is_followed(app, client):
    response = sign_up(client, " Reader@Example.com ")
    assert response.status_code == 200
    assert "Check your inbox" in page(response)
    with app.app_context():
        assert subscribers_with("pending") == ["reader@example.com"]
        (confirmation,) = mails_to(app.config["MAIL_OUTBOX"], "reader@example.com")
        assert confirmation["Subject"].startswith("Confirm your subscription")
    link = confirm_link(app, "reader@example.com")
    # Following the link (as mail scanners do) shows a button and changes nothing.
    shown = client.get(link)
    assert shown.status_code == 200 and "Yes, subscribe me" in page(shown)
    with app.app_context():
        assert subscribers_with("confirmed") == []
    assert "You are subscribed" in page(client.post(link))
    with app.app_context():
        assert subscribers_with("confirmed") == ["reader@example.com"]
    # The link is spent: a second visit says so, and changes nothing.
    again = client.post(link)
    assert again.status_code == 404 and "not valid any more" in page(again)


def test_a_pending_address_gets_no_campaign(app, client):
    sign_up(client, "pending@example.com")
    with app.app_context():
        add_subscribers(2)
        service.start_sending(make_campaign())
        recipients = sorted(message["To"] for message in campaign_mails(app))
    assert recipients == ["reader0@example.com", "reader1@example.com"]


def test_sign_up_answers_the_same_whatever_the_address_is(app, client):
    with app.app_context():
        db.session.add_all([Subscriber(email="on@example.com", status="confirmed"),
                            Subscriber(email="off@example.com", status="unsubscribed"),
                            Subscriber(email="wait@example.com", status="pending")])
        db.session.commit()
    answers = set()
    for email in ("new@example.com", "on@example.com", "off@example.com", "wait@example.com"):
        response = sign_up(client, email, headers={"HX-Request": "true"})
        answers.add((response.status_code, page(response)))
    assert len(answers) == 1
    with app.app_context():
        # A confirmed address is not mailed again; an unsubscribed one stays so until it
        # confirms the new sign-up.
        assert mails_to(app.config["MAIL_OUTBOX"], "on@example.com", timeout=0.2) == []
        assert "off@example.com" in subscribers_with("unsubscribed")
    client.post(confirm_link(app, "off@example.com"))
    with app.app_context():
        assert "off@example.com" in subscribers_with("confirmed")


def test_a_bad_address_gets_a_message_and_nothing_is_stored(app, client):
    response = sign_up(client, "not-an-address")
    assert response.status_code == 422
    assert "not valid" in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_an_expired_or_unknown_confirmation_link_is_refused(app, client):
    sign_up(client, "late@example.com")
    link = confirm_link(app, "late@example.com")
    with app.app_context():
        subscriber = db.session.scalars(select(Subscriber)).one()
        subscriber.confirm_expires_at = subscriber.created_at.replace(year=2000)
        db.session.commit()
    expired = client.post(link)
    assert expired.status_code == 404 and "expired" in page(expired)
    assert client.get(link).status_code == 404
    assert client.get("/newsletter/confirm/" + "x" * 40).status_code == 404
    with app.app_context():
        assert subscribers_with("confirmed") == []


def test_confirmation_mails_to_one_address_are_at_most_one_an_hour(app, client):
    for _ in range(3):
        sign_up(client, "victim@example.com")
        queue.wait_for_inline_jobs()  # as requests some seconds apart are
    with app.app_context():
        assert len(mails_to(app.config["MAIL_OUTBOX"], "victim@example.com")) == 1


def test_checkout_subscribes_only_when_ticked(app, client):
    with app.app_context():
        mug = make_variant("Mug")
        make_method()
    add_to_cart(client, mug)
    unticked = client.post("/checkout/contact", data=CONTACT)
    assert unticked.status_code == 303
    assert "step=shipping" in unticked.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0
    ticked = client.post("/checkout/contact", data={**CONTACT, "newsletter": "y"})
    assert ticked.status_code == 303 and ticked.headers["Location"] == unticked.headers["Location"]
    with app.app_context():
        assert subscribers_with("pending") == ["ann@example.com"]
        assert db.session.scalars(select(Subscriber.source)).one() == "checkout"
        assert mails_to(app.config["MAIL_OUTBOX"], "ann@example.com")


# --- campaigns ----------------------------------------------------------------------------------

def test_an_unsubscribed_address_gets_nothing_from_a_campaign(app):
    with app.app_context():
        add_subscribers(3)
        unsubscribe.unsubscribe("reader1@example.com")
        service.start_sending(make_campaign())
        recipients = sorted(message["To"] for message in campaign_mails(app))
    assert recipients == ["reader0@example.com", "reader2@example.com"]


def test_an_address_that_unsubscribes_after_its_batch_was_claimed_is_skipped(app):
    with app.app_context():
        add_subscribers(2)
        campaign_id = make_campaign()
        db.session.execute(Campaign.__table__.update().values(status="sending"))
        db.session.commit()
        sent = []
        assert not sending.send_batch(campaign_id, sent.append)  # claims, queues nothing
        unsubscribe.unsubscribe("reader0@example.com")
        for delivery_id in sent:
            delivery_job(delivery_id)
        assert [message["To"] for message in campaign_mails(app)] == ["reader1@example.com"]
        assert db.session.scalar(select(func.count()).select_from(CampaignDelivery)
                                 .where(CampaignDelivery.skipped)) == 1


def test_a_campaign_mail_carries_the_unsubscribe_link_and_headers(app, client):
    with app.app_context():
        add_subscribers(1)
        service.start_sending(make_campaign(body="Hello <b>there</b>, **friend**."))
        (message,) = campaign_mails(app)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert link in html and link in text
    assert "<strong>friend</strong>" in html and "&lt;b&gt;there&lt;/b&gt;" in html
    path = urlsplit(link).path
    assert path.startswith("/unsubscribe/")
    client.post(path, data={"List-Unsubscribe": "One-Click"})
    with app.app_context():
        assert subscribers_with("unsubscribed") == ["reader0@example.com"]


def _killing(monkeypatch, target, name: str, at: int, when=lambda *args: True) -> list:
    """Make `target.name` raise Killed on its `at`-th call that `when` picks, once."""
    original = getattr(target, name)
    calls: list = []

    def dying(*args, **kwargs):
        if when(*args):
            calls.append(args)
            if len(calls) == at:
                raise Killed
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, dying)
    return calls


def _assert_each_of_500_got_it_once(app) -> None:
    recipients = Counter(message["To"] for message in campaign_mails(app))
    assert len(recipients) == 500 and set(recipients.values()) == {1}
    with app.app_context():
        db.session.expire_all()
        campaign = db.session.scalars(select(Campaign)).one()
        assert campaign.status == "sent" and campaign.sent_count == 500
        assert db.session.scalar(select(func.count()).select_from(CampaignDelivery)) == 500
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0


def test_a_campaign_to_500_killed_while_claiming_a_batch_still_sends_each_mail_once(
        app, monkeypatch):
    with app.app_context():
        add_subscribers(500)
        campaign_id = make_campaign()
        # The third batch (of 60) dies after claiming 10 of its subscribers.
        _killing(monkeypatch, queue, "enqueue_after_commit", 130,
                 when=lambda func, *args: func is delivery_job)
        with pytest.raises(Killed):
            service.start_sending(campaign_id)
        monkeypatch.undo()
        db.session.remove()  # what the dead worker left of its session goes with it
        assert len(campaign_mails(app)) == 120  # two whole batches; the third left nothing
        assert db.session.scalar(select(func.count()).select_from(CampaignDelivery)) == 120
        # The campaign job's row is still there, and dispatch runs it again.
        assert queue.dispatch_pending_jobs(older_than_seconds=0) == 1
    _assert_each_of_500_got_it_once(app)


def test_a_campaign_to_500_killed_while_sending_a_batch_still_sends_each_mail_once(
        app, monkeypatch):
    with app.app_context():
        add_subscribers(500)
        campaign_id = make_campaign()
        # The 250th mail's job dies in the middle of the fifth batch, with the batch claimed.
        _killing(monkeypatch, mail, "send_mail", 250,
                 when=lambda to, subject, *args: subject == "Winter news")
        with pytest.raises(Killed):
            service.start_sending(campaign_id)
        monkeypatch.undo()
        db.session.remove()  # what the dead worker left of its session goes with it
        assert len(campaign_mails(app)) == 249
        queue.dispatch_pending_jobs(older_than_seconds=0)
    _assert_each_of_500_got_it_once(app)


def test_with_a_queue_a_campaign_goes_one_batch_at_a_time_at_the_configured_pace(app):
    with app.app_context():
        app.config.update(NEWSLETTER_BATCH_SIZE=200, NEWSLETTER_BATCH_SECONDS=600)
        add_subscribers(500)
        campaign_id = make_campaign()
        db.session.execute(Campaign.__table__.update().values(status="sending"))
        db.session.commit()
        claimed: list[int] = []
        assert sending.send_batch(campaign_id, claimed.append)
        assert len(claimed) == 200
        # Not due yet: the scheduler's next look claims nothing.
        assert sending.send_batch(campaign_id, claimed.append) and len(claimed) == 200
        assert sending.due_campaigns() == []
        db.session.execute(Campaign.__table__.update().values(next_batch_at=None))
        db.session.commit()
        assert sending.send_batch(campaign_id, claimed.append) and len(claimed) == 400
        db.session.execute(Campaign.__table__.update().values(next_batch_at=None))
        db.session.commit()
        assert not sending.send_batch(campaign_id, claimed.append)
        assert sorted(claimed) == list(range(min(claimed), min(claimed) + 500))
        assert db.session.get(Campaign, campaign_id).status == "sent"


def test_a_campaign_is_sent_once_however_often_send_is_pressed(app):
    with app.app_context():
        add_subscribers(3)
        campaign_id = make_campaign()
        service.start_sending(campaign_id)
        with pytest.raises(service.NewsletterError):
            service.start_sending(campaign_id)
        campaign_batch_job(campaign_id)  # a stray second run of the job sends nothing more
    assert len(campaign_mails(app)) == 3


# --- unsubscribe --------------------------------------------------------------------------------

def test_following_the_unsubscribe_link_changes_nothing(app, client):
    with app.app_context():
        add_subscribers(1)
        path = urlsplit(unsubscribe.unsubscribe_url("reader0@example.com")).path
    response = client.get(path)
    assert response.status_code == 200
    assert 'method="post"' in page(response) and "reader0@example.com" in page(response)
    with app.app_context():
        assert subscribers_with("confirmed") == ["reader0@example.com"]
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in page(done)
    with app.app_context():
        assert subscribers_with("unsubscribed") == ["reader0@example.com"]


def test_one_click_unsubscribe_needs_no_csrf_token_but_a_good_signature(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        add_subscribers(1)
        path = urlsplit(unsubscribe.unsubscribe_url("reader0@example.com")).path
    token = path.rsplit("/", 1)[1]
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    refused = client.post(forged, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 404
    other_secret = client.post("/unsubscribe/" + token.replace(token[-6:], "abcdef"),
                               data={"List-Unsubscribe": "One-Click"})
    assert other_secret.status_code == 404
    with app.app_context():
        assert subscribers_with("confirmed") == ["reader0@example.com"]
    ok = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert ok.status_code == 200
    with app.app_context():
        assert subscribers_with("unsubscribed") == ["reader0@example.com"]
    # Other POSTs of the site still need their token.
    assert client.post("/newsletter/subscribe", data={"email": "x@example.com"}).status_code == 400


def test_an_address_that_never_subscribed_can_unsubscribe_and_stays_unsubscribed(app):
    with app.app_context():
        assert not unsubscribe.is_unsubscribed("Stranger@Example.com")
        unsubscribe.unsubscribe("stranger@example.com")
        unsubscribe.unsubscribe("stranger@example.com")
        assert unsubscribe.is_unsubscribed("Stranger@Example.com")
        assert subscribers_with("unsubscribed") == ["stranger@example.com"]
        headers = unsubscribe.list_unsubscribe_headers("stranger@example.com")
        assert headers["List-Unsubscribe"].startswith("<http://localhost:5000/unsubscribe/")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_unsubscribe_is_per_store_and_a_token_works_only_on_its_store(app, client):
    with app.app_context():
        other = Store(slug="second")
        db.session.add(other)
        db.session.flush()
        db.session.add(StoreDomain(store_id=other.id, host="second.example"))
        db.session.commit()
        other_id = other.id
        unsubscribe.unsubscribe("both@example.com")
        default_path = urlsplit(unsubscribe.unsubscribe_url("both@example.com")).path
        with tenancy.use_store(other_id):
            assert not unsubscribe.is_unsubscribed("both@example.com")
            url = unsubscribe.unsubscribe_url("both@example.com")
    assert urlsplit(url).netloc == "second.example"
    assert client.get(default_path, base_url="http://second.example").status_code == 404
    assert client.post(default_path, base_url="http://second.example").status_code == 404
    with app.app_context(), tenancy.use_store(other_id):
        assert not unsubscribe.is_unsubscribed("both@example.com")


# --- limits and the admin -----------------------------------------------------------------------

def test_sign_ups_are_rate_limited_per_client(app, client):
    app.config["RATELIMIT_NEWSLETTER"] = "2 per minute"
    assert sign_up(client, "a@example.com").status_code == 200
    assert sign_up(client, "b@example.com").status_code == 200
    assert sign_up(client, "c@example.com").status_code == 429
    with app.app_context():
        assert sorted(subscribers_with("pending")) == ["a@example.com", "b@example.com"]


def test_the_newsletter_admin_is_for_admins_only(app, staff):
    assert staff.get("/admin/newsletter").status_code == 403
    assert staff.get("/admin/newsletter/subscribers.csv").status_code == 403
    assert staff.post("/admin/newsletter/campaigns",
                      data={"subject": "x", "body": "y"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_the_admin_lists_subscribers_with_counts_and_a_status_filter(app, admin):
    with app.app_context():
        add_subscribers(3)
        add_subscribers(2, status="pending", prefix="maybe")
    text = page(admin.get("/admin/newsletter"))
    assert "Confirmed: <strong>3</strong>" in text
    assert "Waiting for confirmation: <strong>2</strong>" in text
    only_pending = page(admin.get("/admin/newsletter?status=pending"))
    assert "maybe0@example.com" in only_pending and "reader0@example.com" not in only_pending
    assert admin.get("/admin/newsletter?status=bogus&page=x").status_code == 200


def test_the_csv_export_lists_subscribers_and_defuses_formulas(app, admin):
    with app.app_context():
        db.session.add_all([Subscriber(email="=cmd@example.com", status="confirmed"),
                            Subscriber(email="+sum@example.com", status="confirmed"),
                            Subscriber(email="-x@example.com", status="pending"),
                            Subscriber(email="@home@example.com", status="confirmed"),
                            Subscriber(email="plain@example.com", status="unsubscribed")])
        db.session.commit()
    response = admin.get("/admin/newsletter/subscribers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["email", "status", "source", "created_at", "confirmed_at",
                       "unsubscribed_at"]
    emails = [row[0] for row in rows[1:]]
    assert emails == ["'=cmd@example.com", "'+sum@example.com", "'-x@example.com",
                      "'@home@example.com", "plain@example.com"]
    confirmed = admin.get("/admin/newsletter/subscribers.csv?status=confirmed")
    assert len(list(csv.reader(io.StringIO(confirmed.get_data(as_text=True))))) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "newsletter.exported")) == 2


def test_the_markdown_preview_escapes_html(app, admin):
    body = ("# Sale\n\n<script>alert(1)</script>\n\n**Half** off. "
            "[Click](javascript:alert(2)) <img src=x onerror=alert(3)>")
    response = admin.post("/admin/newsletter/campaigns",
                          data={"subject": "Sale", "body": body, "action": "preview"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<h1>Sale</h1>" in text and "<strong>Half</strong>" in text
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    assert "<img src=x" not in text and 'href="javascript:' not in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_an_admin_writes_saves_and_sends_a_campaign_and_each_step_is_audited(app, admin):
    with app.app_context():
        add_subscribers(2)
    missing = admin.post("/admin/newsletter/campaigns", data={"subject": "", "body": "x"})
    assert missing.status_code == 422 and "Write a subject." in page(missing)
    saved = admin.post("/admin/newsletter/campaigns",
                       data={"subject": "Winter news", "body": "Hi", "action": "save"})
    assert saved.status_code == 303
    detail_path = urlsplit(saved.headers["Location"]).path
    campaign_id = int(detail_path.rsplit("/", 1)[1])
    edited = admin.post(f"{detail_path}/save", data={"subject": "Winter news",
                                                     "body": "Hi *all*", "action": "save"})
    assert edited.status_code == 303
    assert "Send to 2 subscribers" in page(admin.get(detail_path))
    sent = admin.post(f"{detail_path}/send")
    assert sent.status_code == 303
    assert len(campaign_mails(app)) == 2
    assert admin.post(f"{detail_path}/send").status_code == 303  # refused with a message
    locked = admin.post(f"{detail_path}/save",
                        data={"subject": "Changed", "body": "x", "action": "save"})
    assert locked.status_code == 422 and "cannot be edited" in page(locked)
    assert len(campaign_mails(app)) == 2
    with app.app_context():
        actions = list(db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "newsletter_campaign",
                                            AuditEntry.entity_id == campaign_id)
            .order_by(AuditEntry.id)))
        assert actions == ["newsletter_campaign.created", "newsletter_campaign.updated",
                           "newsletter_campaign.sent"]
    assert admin.get("/admin/newsletter/campaigns/999999").status_code == 404
