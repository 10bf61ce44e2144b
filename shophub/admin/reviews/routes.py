"""/admin/reviews: the moderation table, one review's page, and publish, hide and reply."""

from flask import abort, flash, redirect, request, url_for

from shophub.admin.blueprint import bp
from shophub.admin.reviews import service as review_desk
from shophub.models.reviews import REVIEW_STATUSES
from shophub.reviews import service as reviews
from shophub.reviews.forms import ReplyForm
from shophub.reviews.service import STARS
from shophub.web.htmx import render_page_or_block
from shophub.web.pagination import requested_page


@bp.get("/reviews")
def reviews_page():
    """Reviews filtered by status and rating, newest first, paged."""
    filters = review_desk.parse_filters(request.args)
    listing = review_desk.list_reviews(filters, requested_page())
    return render_page_or_block("admin/reviews.html", "reviews_table", filters=filters,
                                listing=listing, statuses=REVIEW_STATUSES, stars=STARS)


def _detail(review_id: int, form: ReplyForm | None = None, status: int = 200):
    try:
        row = review_desk.review_row(review_id)
    except reviews.ReviewNotFound:
        abort(404)
    form = form or ReplyForm(data={"reply": row.review.reply or ""})
    return render_page_or_block("admin/review_detail.html", "review_panel", row=row,
                                review=row.review, form=form), status


@bp.get("/reviews/<id:review_id>")
def review_detail(review_id: int):
    """One review: its text, product, order, status and the shop's reply."""
    return _detail(review_id)


def _moved(review_id: int, action, done: str):
    try:
        action(review_id)
    except reviews.ReviewNotFound:
        abort(404)
    except reviews.ReviewRefused as refused:
        flash(str(refused), "error")
    else:
        flash(done, "success")
    return redirect(url_for("admin.review_detail", review_id=review_id), 303)


@bp.post("/reviews/<id:review_id>/publish")
def review_publish(review_id: int):
    """Show the review on its product page."""
    return _moved(review_id, reviews.publish, "The review is published.")


@bp.post("/reviews/<id:review_id>/hide")
def review_hide(review_id: int):
    """Keep the review off its product page."""
    return _moved(review_id, reviews.hide, "The review is hidden.")


@bp.post("/reviews/<id:review_id>/reply")
def review_reply(review_id: int):
    """Save, change or remove the shop's reply under the review."""
    form = ReplyForm()
    if not form.validate_on_submit():
        return _detail(review_id, form, 422)
    try:
        reviews.reply(review_id, form.reply.data or "")
    except reviews.ReviewNotFound:
        abort(404)
    except reviews.ReviewRefused as refused:
        form.reply.errors = [str(refused)]
        return _detail(review_id, form, 422)
    flash("The reply is saved." if form.reply.data else "The reply is removed.", "success")
    return redirect(url_for("admin.review_detail", review_id=review_id), 303)
