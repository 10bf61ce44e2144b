"""CSRF on every POST (HTMX ones through the header) and rate limits on account forms."""

import re

import pytest
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import CartItem
from tests.shop_data import PASSWORD, make_user, make_variant


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute",
            "RATELIMIT_ACCOUNT": "2 per minute"}


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def lines(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CartItem))


def test_cart_posts_need_the_token_in_the_form_or_the_htmx_header(app, client):
    with app.app_context():
        mug = make_variant("Mug")
    refused = client.post("/cart/items", data={"variant_id": mug, "quantity": "1"})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert lines(app) == 0
    page = client.get("/cart").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    ok = client.post("/cart/items", data={"variant_id": mug, "quantity": "1"},
                     headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert ok.status_code == 200 and lines(app) == 1
    form_token = token_from(page) if "csrf_token" in page else header_token
    ok = client.post("/cart/items", data={"variant_id": mug, "quantity": "1",
                                          "csrf_token": form_token})
    assert ok.status_code == 303 and lines(app) == 1


def test_account_forms_refuse_a_missing_token(app, client):
    with app.app_context():
        make_user()
    response = client.post("/account/login",
                           data={"email": "shopper@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/profile").status_code == 302
    assert client.post("/account/logout").status_code == 400


def test_login_is_limited_per_ip_with_a_429_that_says_when(app):
    client = app.test_client()
    for _ in range(3):
        token = token_from(client.get("/account/login").get_data(as_text=True))
        client.post("/account/login", data={"email": f"x{_}@example.com", "password": "nope",
                                            "csrf_token": token})
    token = token_from(client.get("/account/login").get_data(as_text=True))
    response = client.post("/account/login", data={"email": "y@example.com", "password": "n",
                                                   "csrf_token": token})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert re.search(r"try again in \d+ seconds", response.get_data(as_text=True))
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert other_ip.get("/account/login").status_code == 200


def login_from(app, address: str, email: str, password: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = token_from(client.get("/account/login").get_data(as_text=True))
    response = client.post("/account/login", data={"email": email, "password": password,
                                                   "csrf_token": token})
    return client, response


def test_a_victim_logs_in_while_an_attacker_guesses_their_email_from_elsewhere(app):
    with app.app_context():
        make_user()
    statuses = []
    for attempt in range(12):  # a fresh client each time, so the per-address limit of 3 a
        # minute is met by another address each time: only the account guard is at work
        _, response = login_from(app, f"10.0.1.{attempt % 2}", "shopper@example.com", "guess")
        statuses.append(response.status_code)
    assert 429 in statuses  # the guessing is slowed
    victim, response = login_from(app, "10.0.1.99", "Shopper@example.com ", PASSWORD)
    assert response.status_code == 303
    assert victim.get("/account/profile").status_code == 200


def test_guessing_one_account_from_one_address_waits_longer_after_each_failure(app):
    from shophub.accounts import login_guard

    with app.app_context():
        make_user()
        waits = []
        for _ in range(6):
            login_guard.note_failure("shopper@example.com", "10.0.2.1")
            waits.append(login_guard.seconds_to_wait("shopper@example.com", "10.0.2.1"))
        assert waits[:2] == [0, 0] and waits[2] > 0
        assert waits[2] < waits[3] < waits[4] < waits[5] <= login_guard.LONGEST_WAIT
        assert login_guard.seconds_to_wait("shopper@example.com", "10.0.2.2") == 0
    _, refused = login_from(app, "10.0.2.1", "shopper@example.com", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many wrong passwords for this account" in refused.get_data(as_text=True)


def test_the_right_password_clears_the_count_for_that_address(app):
    from shophub.accounts import login_guard

    with app.app_context():
        make_user()
        login_guard.note_failure("shopper@example.com", "10.0.3.1")
        login_guard.note_failure("shopper@example.com", "10.0.3.1")
    _, response = login_from(app, "10.0.3.1", "shopper@example.com", PASSWORD)
    assert response.status_code == 303
    with app.app_context():
        login_guard.note_failure("shopper@example.com", "10.0.3.1")
        assert login_guard.seconds_to_wait("shopper@example.com", "10.0.3.1") == 0


@pytest.mark.parametrize("path", ["/account/register", "/account/password/reset"])
def test_register_and_reset_are_limited_too(app, path):
    client = app.test_client()
    statuses = []
    for _ in range(4):
        token = token_from(client.get(path).get_data(as_text=True))
        statuses.append(client.post(path, data={"email": "z@example.com",
                                                "csrf_token": token}).status_code)
    assert statuses[-1] == 429 and 429 not in statuses[:2]
