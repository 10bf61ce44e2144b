"""Admin catalog pages: the product table (inline price and stock, bulk archive), the product
form and its pictures, categories and billboards."""

from flask import abort, flash, redirect, render_template, request, url_for

from shophub.accounts.auth import safe_next_url
from shophub.admin.blueprint import bp
from shophub.admin.catalog import banners as banner_admin
from shophub.admin.catalog import categories as category_admin
from shophub.admin.catalog import common, pictures, product_table, variants
from shophub.admin.catalog import forms as forms_catalog
from shophub.admin.catalog import options as option_admin
from shophub.admin.catalog import products as product_admin
from shophub.platform import store_settings
from shophub.web.flashes import flash_to
from shophub.web.htmx import render_page_or_block, wants_fragment


def _back(default: str | None = None) -> str:
    return safe_next_url(request.form.get("next"), default or url_for("admin.products"))


def _see_other(url: str):
    return redirect(url, code=303)


@bp.get("/products")
def products():
    """The product table: search, filters, sorting and pages."""
    filters = product_table.parse_product_filters(request.args)
    result = product_table.list_products(filters, store_settings.currency())
    categories = [] if wants_fragment() else category_admin.category_choices()
    return render_page_or_block(
        "admin/products.html", "product_table", result=result, listing=result.filters,
        categories=categories, sort_columns=product_table.SORT_COLUMNS,
        archived_choices=product_table.ARCHIVED_CHOICES,
        list_url=url_for("admin.products", **result.filters.query_args()),
    )


@bp.post("/variants/<id:variant_id>")
def variant_update(variant_id: int):
    """Save a variant's price and stock from its row of the product table."""
    form = request.form
    back = _back()
    try:
        line = variants.update_variant(variant_id, form.get("price"), form.get("stock"),
                                       store_settings.currency(),
                                       stock_shown=form.get("stock_shown"))
        status = 200
    except common.NotFound:
        abort(404)
    except common.Invalid as error:
        if not wants_fragment():
            flash(f"Nothing saved: {error}", "error")
            return _see_other(back)
        line = variants.variant_line(variant_id, store_settings.currency(), error=str(error),
                                     invalid=tuple(error.errors),
                                     price_text=form.get("price", ""),
                                     stock_text=form.get("stock", ""))
        status = 422
    if not wants_fragment():
        flash(f"{line.sku}: {line.saved}", "success")
        return _see_other(back)
    summary = product_table.product_summary(line.product_id) if status == 200 else None
    blocks = ("variant_row", "product_row") if summary else "variant_row"
    response = render_page_or_block("admin/products.html", blocks, variant=line, row=summary,
                                    list_url=back, oob_product_row=True)
    response.status_code = status
    return response


@bp.post("/products/bulk")
def products_bulk():
    """Archive or unarchive the selected products."""
    action = request.form.get("action")
    if action not in ("archive", "unarchive"):
        flash("Choose whether to archive or unarchive the selected products.", "error")
        return _see_other(_back())
    try:
        ids = product_admin.parse_ids(request.form.getlist("product_ids"))
        changed = product_admin.set_archived(ids, action == "archive")
    except common.CatalogAdminError as error:
        flash(str(error), "error")
    else:
        flash(f"{changed} product{'s' if changed != 1 else ''} {action}d.", "success")
    return _see_other(_back())


def _get_product(product_id: int):
    try:
        return common.get_product(product_id)
    except common.NotFound:
        abort(404)


def _render_form(product, draft, status: int = 200, image_error: str = "", alt_text: str = ""):
    action = (url_for("admin.product_edit", product_id=product.id) if product
              else url_for("admin.product_new"))
    response = render_page_or_block(
        "admin/product_form.html", "product_form", product=product, draft=draft, action=action,
        categories=category_admin.category_choices(), options=option_admin.option_choices(),
        image_error=image_error, alt_text=alt_text,
        max_upload_mb=pictures.MAX_UPLOAD_BYTES // 2**20,
        row_errors=any(row.errors for row in draft.variants),
    )
    response.status_code = status
    return response


def _product_form(product):
    if request.method == "GET":
        return _render_form(product, product_admin.draft_of(product, store_settings.currency()))
    draft = forms_catalog.product_draft(request.form)
    if forms_catalog.wants_new_row(request.form):
        draft.add_row()
        return _render_form(product, draft)
    try:
        saved = product_admin.save_product(product, draft, store_settings.currency())
    except common.Invalid:
        return _render_form(product, draft, status=422)
    flash(f"{saved.name} {'created' if product is None else 'saved'}.", "success")
    return _see_other(url_for("admin.product_edit", product_id=saved.id))


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    """Create a product with its variants."""
    return _product_form(None)


@bp.route("/products/<id:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    """Edit a product, its variants and its pictures."""
    return _product_form(_get_product(product_id))


@bp.post("/products/<id:product_id>/delete")
def product_delete(product_id: int):
    """Delete a product, or archive it when it has been ordered."""
    try:
        outcome = product_admin.delete_product(product_id)
    except common.NotFound:
        abort(404)
    if outcome.deleted:
        flash(outcome.message, "success")
        return _see_other(url_for("admin.products"))
    flash(outcome.message, "notice")
    return _see_other(url_for("admin.product_edit", product_id=product_id))


def _images_url(product_id: int) -> str:
    return url_for("admin.product_edit", product_id=product_id, _anchor="images")


@bp.post("/products/<id:product_id>/images")
def product_image_add(product_id: int):
    """Upload a picture (checked by content, stored at the web sizes) with its alt text."""
    try:
        pictures.add_image(product_id, request.files.get("image"), request.form.get("alt_text"))
    except common.NotFound:
        abort(404)
    except common.CatalogAdminError as error:
        product = _get_product(product_id)
        draft = product_admin.draft_of(product, store_settings.currency())
        return _render_form(product, draft, status=422, image_error=str(error),
                            alt_text=(request.form.get("alt_text") or "")[:255])
    flash_to("images", "Picture added.")
    return _see_other(_images_url(product_id))


@bp.post("/products/<id:product_id>/images/<id:image_id>")
def product_image_alt(product_id: int, image_id: int):
    """Change a picture's alt text."""
    try:
        pictures.update_image_alt(product_id, image_id, request.form.get("alt_text"))
    except common.NotFound:
        abort(404)
    except common.CatalogAdminError as error:
        flash_to("images", f"Alt text not saved: {error}", "error")
    else:
        flash_to("images", "Alt text saved.")
    return _see_other(_images_url(product_id))


@bp.post("/products/<id:product_id>/images/<id:image_id>/move")
def product_image_move(product_id: int, image_id: int):
    """Move a picture up or down the product's list."""
    try:
        pictures.move_image(product_id, image_id, request.form.get("direction", ""))
    except common.NotFound:
        abort(404)
    except common.CatalogAdminError as error:
        flash_to("images", str(error), "error")
    return _see_other(_images_url(product_id))


@bp.post("/products/<id:product_id>/images/<id:image_id>/delete")
def product_image_delete(product_id: int, image_id: int):
    """Remove a picture and its files."""
    try:
        pictures.delete_image(product_id, image_id)
    except common.NotFound:
        abort(404)
    flash_to("images", "Picture removed.")
    return _see_other(_images_url(product_id))



@bp.get("/categories")
def categories():
    """Every category with its product count."""
    return render_template("admin/categories.html", categories=category_admin.list_categories())


def _category_form(category):
    if request.method == "GET":
        return render_template("admin/category_form.html", category=category,
                               values=forms_catalog.category_values_of(category), errors={})
    values = forms_catalog.category_values(request.form)
    try:
        saved = category_admin.save_category(category, **values)
    except common.Invalid as error:
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
        category = category_admin.get_category(category_id)
    except common.NotFound:
        abort(404)
    return _category_form(category)


@bp.post("/categories/<id:category_id>/delete")
def category_delete(category_id: int):
    """Delete a category that holds no products."""
    try:
        flash(category_admin.delete_category(category_id), "success")
    except common.NotFound:
        abort(404)
    except common.CatalogAdminError as error:
        flash(str(error), "error")
    return _see_other(url_for("admin.categories"))


def _options_page(message: str | None = None, kind: str = "success", status: int = 200,
                  refused: option_admin.OptionRefused | None = None):
    response = render_page_or_block("admin/options.html", "option_lists",
                                    lists=option_admin.list_option_lists(), message=message,
                                    message_kind=kind, refused=refused,
                                    max_lists=option_admin.MAX_LISTS)
    response.status_code = status
    return response


def _change_options(action, *args):
    """Run a change to the lists and answer: the lists (422 with the reason when refused) for
    HTMX and for a refusal, else a flash and a 303 back to the page."""
    try:
        message = action(*args)
    except common.NotFound:
        abort(404)
    except option_admin.OptionRefused as refused:
        return _options_page(str(refused), "error", 422, refused)
    if wants_fragment():
        return _options_page(message)
    flash(message, "success")
    return _see_other(url_for("admin.options"))


@bp.get("/options")
def options():
    """The store's option lists with their values."""
    return _options_page()


@bp.post("/options/new")
def option_list_new():
    """Add an option list."""
    return _change_options(option_admin.create_list, request.form.get("name"))


@bp.post("/options/<id:list_id>")
def option_list_rename(list_id: int):
    """Rename an option list."""
    return _change_options(option_admin.rename_list, list_id, request.form.get("name"))


@bp.post("/options/<id:list_id>/move")
def option_list_move(list_id: int):
    """Move an option list up or down."""
    return _change_options(option_admin.move_list, list_id, request.form.get("direction", ""))


@bp.post("/options/<id:list_id>/delete")
def option_list_delete(list_id: int):
    """Delete an option list that no variant uses."""
    return _change_options(option_admin.delete_list, list_id)


@bp.post("/options/<id:list_id>/values")
def option_value_new(list_id: int):
    """Add a value to an option list."""
    return _change_options(option_admin.add_value, list_id, request.form.get("value"))


@bp.post("/options/values/<id:value_id>")
def option_value_rename(value_id: int):
    """Change a value's text."""
    return _change_options(option_admin.rename_value, value_id, request.form.get("value"))


@bp.post("/options/values/<id:value_id>/move")
def option_value_move(value_id: int):
    """Move a value up or down its list."""
    return _change_options(option_admin.move_value, value_id, request.form.get("direction", ""))


@bp.post("/options/values/<id:value_id>/delete")
def option_value_delete(value_id: int):
    """Delete a value that no variant has."""
    return _change_options(option_admin.delete_value, value_id)


@bp.get("/banners")
def banners():
    """Every billboard, in the order the shop shows them."""
    return render_template("admin/banners.html", banners=banner_admin.list_banners())


def _banner_form(banner):
    shown = {"banner": banner, "categories": category_admin.category_choices(),
             "max_upload_mb": pictures.MAX_UPLOAD_BYTES // 2**20}
    if request.method == "GET":
        return render_template("admin/banner_form.html",
                               draft=forms_catalog.banner_draft_of(banner), errors={}, **shown)
    draft = forms_catalog.banner_draft(request.form)
    try:
        saved = banner_admin.save_banner(banner, draft, request.files.get("image"))
    except common.Invalid as error:
        return render_template("admin/banner_form.html", draft=draft, errors=error.errors,
                               **shown), 422
    flash(f"Billboard “{saved.title}” {'created' if banner is None else 'saved'}.", "success")
    return _see_other(url_for("admin.banners"))


@bp.route("/banners/new", methods=["GET", "POST"])
def banner_new():
    """Create a billboard."""
    return _banner_form(None)


@bp.route("/banners/<id:banner_id>", methods=["GET", "POST"])
def banner_edit(banner_id: int):
    """Edit a billboard."""
    try:
        banner = banner_admin.get_banner(banner_id)
    except common.NotFound:
        abort(404)
    return _banner_form(banner)


@bp.post("/banners/<id:banner_id>/delete")
def banner_delete(banner_id: int):
    """Delete a billboard and its picture."""
    try:
        flash(banner_admin.delete_banner(banner_id), "success")
    except common.NotFound:
        abort(404)
    return _see_other(url_for("admin.banners"))
