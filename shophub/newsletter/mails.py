"""The newsletter's mails: the confirmation link, and a campaign in HTML and text.

A campaign is written in Markdown and rendered with markdown-it-py with HTML disabled, so that
what staff type is shown, never run: `<script>` comes out as text, and links to javascript:
and the like are not made into links.
"""

from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Campaign, SentMail, Subscriber
from shophub.newsletter import unsubscribe
from shophub.platform import jobs, store_settings
from shophub.platform.links import external_url


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_html(markdown: str) -> Markup:
    """A campaign's Markdown as safe HTML (raw HTML in it is escaped, not passed through)."""
    return Markup(_markdown().render(markdown or ""))


def render_text(markdown: str) -> str:
    """A campaign's text part: its Markdown, which reads well as it is."""
    return (markdown or "").strip()


def campaign_context(campaign: Campaign, email: str) -> dict:
    """What a campaign mail to `email` shows: its body twice over and its unsubscribe link."""
    store = store_settings.display_name()
    return {
        "body_html": str(render_html(campaign.body_markdown)),
        "body_text": render_text(campaign.body_markdown),
        "unsubscribe_url": unsubscribe.unsubscribe_url(email),
        "footer": f"You get this mail because you subscribed to the newsletter of {store}.",
    }


def send_campaign_mail(campaign: Campaign, subscriber: Subscriber) -> bool:
    """Send one campaign to one subscriber, once; False when it was sent before."""
    return jobs.send_mail_job(
        f"newsletter:{campaign.id}:{subscriber.id}", subscriber.email, campaign.subject,
        "newsletter_campaign", campaign_context(campaign, subscriber.email),
        unsubscribe.list_unsubscribe_headers(subscriber.email))


def already_sent(key: str) -> bool:
    """Whether the mail under `key` was sent already."""
    return db.session.scalar(select(SentMail.id).where(SentMail.key == key)) is not None


def send_confirmation(subscriber: Subscriber, token: str, hours: int, key: str) -> bool:
    """Mail the double opt-in link to a subscriber; False when the mail under `key` went."""
    store = store_settings.display_name()
    return jobs.send_mail_job(
        key, subscriber.email, f"Confirm your subscription to {store}",
        "newsletter_confirm",
        {"confirm_url": external_url("newsletter.confirm_page", token=token), "hours": hours,
         "footer": f"You get this mail because this address was entered to subscribe to "
                   f"the newsletter of {store}."})
