"""Outgoing mail: .eml files in the outbox without MAIL_SERVER, Flask-Mail (SMTP) with it."""

import re
from pathlib import Path

import pytest

from shophub.extensions import db
from shophub.platform import mail
from tests.conftest import make_app

RESET_URL = "http://shop.test/account/password/reset/abc123"
SMTP_CONFIG = {"MAIL_SERVER": "smtp.example.invalid", "MAIL_SUPPRESS_SEND": True}


def outbox(app):
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def parts(message):
    """The text and the HTML part of a parsed message."""
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def test_password_reset_mail_is_written_to_the_outbox(app):
    with app.app_context():
        mail.send_mail("kim@example.com", "Reset your password", "password_reset",
                       name="Kim", reset_url=RESET_URL, minutes=45)

    (message,) = outbox(app)
    assert message["To"] == "kim@example.com"
    assert message["Subject"] == "Reset your password"
    assert message["From"] == f"{app.config['STORE_NAME']} <shop@localhost>"
    assert message.is_multipart()
    text, html = parts(message)
    assert RESET_URL in text
    assert f'href="{RESET_URL}"' in html
    for body in (text, html):
        assert "Kim" in body
        assert "45 minutes" in body
        assert "If you did not ask for this, ignore this mail" in body
    # The app's context processors reach the mail templates.
    assert app.config["STORE_NAME"] in text and app.config["STORE_NAME"] in html
    assert "<" not in text  # the text part is plain text, not HTML


def test_welcome_mail_is_written_to_the_outbox(app):
    with app.app_context():
        mail.send_mail("lee@example.com", "Welcome to the shop", "welcome",
                       name="Lee", shop_url="http://shop.test/")

    (message,) = outbox(app)
    assert message["To"] == "lee@example.com"
    assert message["Subject"] == "Welcome to the shop"
    text, html = parts(message)
    assert "Welcome, Lee!" in text and "Welcome, Lee!" in html
    assert "http://shop.test/" in text and 'href="http://shop.test/"' in html
    assert "<title>Welcome to the shop</title>" in html


def test_html_part_escapes_the_context(app):
    with app.app_context():
        mail.send_mail("lee@example.com", "Welcome", "welcome",
                       name="<b>Lee</b>", shop_url="http://shop.test/")
    (message,) = outbox(app)
    text, html = parts(message)
    assert "&lt;b&gt;Lee&lt;/b&gt;" in html and "<b>Lee" not in html
    assert "<b>Lee</b>" in text


def test_outbox_files_are_named_and_complete(app):
    with app.app_context():
        for name in ("Ann", "Bob"):
            mail.send_mail(f"{name.lower()}@example.com", "Welcome", "welcome",
                           name=name, shop_url="/")

    files = sorted(Path(app.config["MAIL_OUTBOX"]).iterdir())
    assert len(files) == 2
    for path in files:
        assert re.fullmatch(r"\d{8}T\d{12}Z-welcome-[0-9a-f]{8}\.eml", path.name), path.name
    # Oldest first, as written.
    assert [m["To"] for m in outbox(app)] == ["ann@example.com", "bob@example.com"]


def test_outbox_messages_of_a_missing_folder_is_empty(tmp_path):
    assert mail.outbox_messages(str(tmp_path / "nowhere")) == []


@pytest.mark.parametrize("app_config", [SMTP_CONFIG])
def test_with_mail_server_the_mail_goes_through_flask_mail(app):
    with app.app_context(), mail.mailer.record_messages() as sent:
        mail.send_mail("kim@example.com", "Reset your password", "password_reset",
                       name="Kim", reset_url=RESET_URL, minutes=60)

    assert len(sent) == 1
    (message,) = sent
    assert message.recipients == ["kim@example.com"]
    assert message.subject == "Reset your password"
    assert message.sender == f"{app.config['STORE_NAME']} <shop@localhost>"
    assert RESET_URL in message.body and f'href="{RESET_URL}"' in message.html
    assert outbox(app) == []
    assert not Path(app.config["MAIL_OUTBOX"]).exists()


def test_render_message_builds_both_parts(app):
    with app.test_request_context():
        message = mail.render_message("kim@example.com", "Hi", "welcome", name="Kim",
                                      shop_url="http://shop.test/")
    assert message.recipients == ["kim@example.com"]
    assert message.sender == f"{app.config['STORE_NAME']} <shop@localhost>"
    assert "http://shop.test/" in message.body
    assert message.html.lstrip().lower().startswith("<!doctype html>")


def test_a_configured_sender_wins_over_the_store_name(database_url, tmp_path):
    app = make_app(database_url, tmp_path, MAIL_DEFAULT_SENDER="Orders <orders@shop.test>")
    with app.test_request_context():
        message = mail.render_message("kim@example.com", "Hi", "welcome", name="Kim",
                                      shop_url="http://shop.test/")
        assert message.sender == "Orders <orders@shop.test>"
        db.engine.dispose()
