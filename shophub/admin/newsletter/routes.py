"""Admin newsletter pages: subscribers (filter, counts, CSV), campaigns (write, preview, send).

Every page is for admins: the list holds customers' addresses, and a campaign goes to all.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from shophub.admin.blueprint import admin_only, bp
from shophub.admin.orders.service import csv_cell
from shophub.core.time import as_utc
from shophub.models.newsletter import SUBSCRIBER_STATUSES
from shophub.newsletter import mails, service
from shophub.newsletter.forms import CampaignForm
from shophub.web.htmx import render_page_or_block
from shophub.web.pagination import requested_page

CSV_HEADER = ("email", "status", "source", "created_at", "confirmed_at", "unsubscribed_at")


@bp.get("/newsletter")
@admin_only
def newsletter():
    """Subscribers, newest first, filtered by status, with the counts; and the campaigns."""
    status = service.parse_status(request.args.get("status"))
    result = service.subscriber_page(status, requested_page())
    return render_page_or_block(
        "admin/newsletter.html", "subscribers_table", result=result, status=status,
        statuses=SUBSCRIBER_STATUSES, labels=service.STATUS_LABELS,
        campaigns=service.campaigns())


def _iso(moment: datetime | None) -> str:
    return as_utc(moment).isoformat() if moment is not None else ""


def _csv_lines(status: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(value) for value in values])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for row in service.subscriber_rows(status):
        yield line([row.email, row.status, row.source, _iso(row.created_at),
                    _iso(row.confirmed_at), _iso(row.unsubscribed_at)])


@bp.get("/newsletter/subscribers.csv")
@admin_only
def newsletter_export():
    """The subscribers with the list's status filter as a CSV file, streamed; audited."""
    status = service.parse_status(request.args.get("status"))
    service.record_export(status)
    response = Response(stream_with_context(_csv_lines(status)), mimetype="text/csv")
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=subscribers-{status or 'all'}-{stamp}.csv")
    return response


def _campaign_or_404(campaign_id: int):
    campaign = service.find_campaign(campaign_id)
    if campaign is None:
        abort(404, description="There is no such campaign.")
    return campaign


def _campaign_page(form: CampaignForm, campaign=None, *, preview: bool = False,
                   status: int = 200):
    body = form.body.data or (campaign.body_markdown if campaign else "")
    shown = preview or (campaign is not None and campaign.status != "draft")
    return render_template(
        "admin/newsletter_campaign.html", form=form, campaign=campaign,
        confirmed=service.confirmed_count(),
        preview_html=mails.render_html(body) if shown else None,
        preview_text=mails.render_text(body) if shown else None), status


def _save(campaign_id: int | None):
    form = CampaignForm()
    campaign = _campaign_or_404(campaign_id) if campaign_id is not None else None
    if not form.validate():
        return _campaign_page(form, campaign, status=422)
    if request.form.get("action") == "preview":
        return _campaign_page(form, campaign, preview=True)
    try:
        saved = service.save_campaign(current_user, campaign_id, form.subject.data,
                                      form.body.data)
    except service.NewsletterError as error:
        form.body.errors = [*form.body.errors, str(error)]
        return _campaign_page(form, campaign, status=422)
    flash("The campaign is saved as a draft.", "success")
    return redirect(url_for("admin.newsletter_campaign", campaign_id=saved.id), code=303)


@bp.get("/newsletter/campaigns/new")
@admin_only
def newsletter_campaign_new():
    """The form of a new campaign."""
    return _campaign_page(CampaignForm(formdata=None))


@bp.post("/newsletter/campaigns")
@admin_only
def newsletter_campaign_create():
    """Preview a new campaign, or save it as a draft."""
    return _save(None)


@bp.get("/newsletter/campaigns/<id:campaign_id>")
@admin_only
def newsletter_campaign(campaign_id: int):
    """A campaign: its form while a draft, its preview, and how far its sending is."""
    campaign = _campaign_or_404(campaign_id)
    form = CampaignForm(formdata=None, subject=campaign.subject, body=campaign.body_markdown)
    return _campaign_page(form, campaign, preview=True)


@bp.post("/newsletter/campaigns/<id:campaign_id>/save")
@admin_only
def newsletter_campaign_save(campaign_id: int):
    """Preview a draft's changes, or save them."""
    return _save(campaign_id)


@bp.post("/newsletter/campaigns/<id:campaign_id>/send")
@admin_only
def newsletter_campaign_send(campaign_id: int):
    """Send a draft to every confirmed subscriber, in batches."""
    campaign = _campaign_or_404(campaign_id)
    try:
        service.start_sending(campaign.id)
    except service.NewsletterError as error:
        flash(str(error), "error")
    else:
        flash("Sending has started: the mails go out in batches.", "success")
    return redirect(url_for("admin.newsletter_campaign", campaign_id=campaign.id), code=303)
