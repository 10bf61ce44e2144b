"""Admin categories and home banners: lists, forms and deletes."""

from flask import abort, flash, redirect, render_template, request, url_for

from shophub.admin.blueprint import bp
from shophub.admin.catalog import forms as forms_catalog
from shophub.admin.catalog import service as catalog_admin


def _see_other(url: str):
    return redirect(url, code=303)


@bp.get("/categories")
def categories():
    """Every category with its product count."""
    return render_template("admin/categories.html", categories=catalog_admin.list_categories())


def _category_form(category):
    if request.method == "GET":
        return render_template("admin/category_form.html", category=category,
                               values=forms_catalog.category_values_of(category), errors={})
    values = forms_catalog.category_values(request.form)
    try:
        saved = catalog_admin.save_category(category, **values)
    except catalog_admin.Invalid as error:
        return render_template("admin/category_form.html", category=category, values=values,
                               errors=error.errors), 422
    flash(f"Category {saved.name} {'created' if category is None else 'saved'}.", "success")
    return _see_other(url_for("admin.categories"))


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    """Create a category."""
    return _category_form(None)


@bp.route("/categories/<id:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    """Edit a category."""
    try:
        category = catalog_admin.get_category(category_id)
    except catalog_admin.NotFound:
        abort(404)
    return _category_form(category)


@bp.post("/categories/<id:category_id>/delete")
def category_delete(category_id: int):
    """Delete a category that holds no products."""
    try:
        flash(catalog_admin.delete_category(category_id), "success")
    except catalog_admin.NotFound:
        abort(404)
    except catalog_admin.CatalogAdminError as error:
        flash(str(error), "error")
    return _see_other(url_for("admin.categories"))


@bp.get("/banners")
def banners():
    """Every home banner, in the order the home page shows them."""
    return render_template("admin/banners.html", banners=catalog_admin.list_banners())


def _banner_form(banner):
    if request.method == "GET":
        return render_template("admin/banner_form.html", banner=banner,
                               draft=forms_catalog.banner_draft_of(banner), errors={},
                               max_upload_mb=catalog_admin.MAX_UPLOAD_BYTES // 2**20)
    draft = forms_catalog.banner_draft(request.form)
    try:
        saved = catalog_admin.save_banner(banner, draft, request.files.get("image"))
    except catalog_admin.Invalid as error:
        return render_template("admin/banner_form.html", banner=banner, draft=draft,
                               errors=error.errors,
                               max_upload_mb=catalog_admin.MAX_UPLOAD_BYTES // 2**20), 422
    flash(f"Banner “{saved.title}” {'created' if banner is None else 'saved'}.", "success")
    return _see_other(url_for("admin.banners"))


@bp.route("/banners/new", methods=["GET", "POST"])
def banner_new():
    """Create a home banner."""
    return _banner_form(None)


@bp.route("/banners/<id:banner_id>", methods=["GET", "POST"])
def banner_edit(banner_id: int):
    """Edit a home banner."""
    try:
        banner = catalog_admin.get_banner(banner_id)
    except catalog_admin.NotFound:
        abort(404)
    return _banner_form(banner)


@bp.post("/banners/<id:banner_id>/delete")
def banner_delete(banner_id: int):
    """Delete a home banner and its picture."""
    try:
        flash(catalog_admin.delete_banner(banner_id), "success")
    except catalog_admin.NotFound:
        abort(404)
    return _see_other(url_for("admin.banners"))
