"""Admin store pages: coupons, shipping methods, the store settings, and (for owners) the
store's domains and payment keys."""

from flask import abort, flash, redirect, render_template, request, url_for

from shophub import payments
from shophub.admin.blueprint import admin_only, bp, owner_only
from shophub.admin.catalog.common import CatalogAdminError
from shophub.admin.catalog.pictures import read_picture
from shophub.admin.store import service as store_admin
from shophub.admin.store.forms import (
    CouponForm,
    DomainForm,
    PaymentKeysForm,
    SettingsForm,
    ShippingForm,
)
from shophub.core.coupons import COUPON_KINDS
from shophub.extensions import db
from shophub.models import Coupon, ShippingMethod
from shophub.platform import store_settings, tenancy
from shophub.seo import favicon
from shophub.stores import domains, payment_keys
from shophub.stores.errors import StoreError


def _submit(form, check, save):
    """On a POST, save the form's data, or put every problem on the form and return None.

    The service's rules (`check`) run even when the form itself has errors, so every message
    shows at once; `save` checks again, then stores and commits.
    """
    if not form.is_submitted():
        return None
    form_ok = form.validate()
    try:
        if not form_ok:
            check(form.data)
            return None
        return save(form.data)
    except store_admin.InvalidInput as error:
        db.session.rollback()
        for name, message in error.errors.items():
            if not form[name].errors:
                form[name].errors = [message]
    return None


def _or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404, description="There is no such record.")
    return found


# --- Coupons ----------------------------------------------------------------------------------


@bp.get("/coupons")
def coupons():
    """Every coupon with its use count."""
    return render_template("admin/coupons.html", coupons=store_admin.coupons(),
                           kinds=COUPON_KINDS, currency=store_settings.currency())


def _coupon_form_page(form, coupon, status):
    return render_template("admin/coupon_form.html", form=form, coupon=coupon), status


@bp.route("/coupons/new", methods=["GET", "POST"])
def coupon_new():
    """Create a coupon."""
    form = CouponForm()
    saved = _submit(form, store_admin.coupon_values, store_admin.save_coupon)
    if saved is not None:
        flash(f"Coupon {saved.code} is saved.", "success")
        return redirect(url_for("admin.coupons"), code=303)
    return _coupon_form_page(form, None, 422 if form.errors else 200)


@bp.route("/coupons/<id:coupon_id>/edit", methods=["GET", "POST"])
def coupon_edit(coupon_id: int):
    """Change a coupon."""
    coupon = _or_404(Coupon, coupon_id)
    form = CouponForm(data=store_admin.coupon_form_data(coupon))
    saved = _submit(form, lambda data: store_admin.coupon_values(data, coupon.id),
                    lambda data: store_admin.save_coupon(data, coupon))
    if saved is not None:
        flash(f"Coupon {saved.code} is saved.", "success")
        return redirect(url_for("admin.coupons"), code=303)
    return _coupon_form_page(form, coupon, 422 if form.errors else 200)


@bp.post("/coupons/<id:coupon_id>/delete")
def coupon_delete(coupon_id: int):
    """Delete a coupon; one that was used is deactivated instead, to keep its history."""
    coupon = _or_404(Coupon, coupon_id)
    code = coupon.code
    if store_admin.delete_coupon(coupon):
        flash(f"Coupon {code} is deleted.", "success")
    else:
        flash(f"Coupon {code} has been used, so it was deactivated instead of deleted.",
              "notice")
    return redirect(url_for("admin.coupons"), code=303)


# --- Shipping methods -------------------------------------------------------------------------


@bp.get("/shipping")
def shipping_methods():
    """Every shipping method in checkout order."""
    return render_template("admin/shipping.html", methods=store_admin.shipping_methods())


def _shipping_form_page(form, method, status):
    return render_template("admin/shipping_form.html", form=form, method=method), status


@bp.route("/shipping/new", methods=["GET", "POST"])
def shipping_method_new():
    """Create a shipping method."""
    form = ShippingForm()
    saved = _submit(form, store_admin.shipping_values, store_admin.save_shipping_method)
    if saved is not None:
        flash(f"Shipping method {saved.name} is saved.", "success")
        return redirect(url_for("admin.shipping_methods"), code=303)
    return _shipping_form_page(form, None, 422 if form.errors else 200)


@bp.route("/shipping/<id:method_id>/edit", methods=["GET", "POST"])
def shipping_method_edit(method_id: int):
    """Change a shipping method."""
    method = _or_404(ShippingMethod, method_id)
    form = ShippingForm(data=store_admin.shipping_form_data(method))
    saved = _submit(form, store_admin.shipping_values,
                    lambda data: store_admin.save_shipping_method(data, method))
    if saved is not None:
        flash(f"Shipping method {saved.name} is saved.", "success")
        return redirect(url_for("admin.shipping_methods"), code=303)
    return _shipping_form_page(form, method, 422 if form.errors else 200)


@bp.post("/shipping/<id:method_id>/delete")
def shipping_method_delete(method_id: int):
    """Delete a shipping method; past orders keep its name and price."""
    method = _or_404(ShippingMethod, method_id)
    name = method.name
    store_admin.delete_shipping_method(method)
    flash(f"Shipping method {name} is deleted.", "success")
    return redirect(url_for("admin.shipping_methods"), code=303)


# --- Settings ---------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    """The store's name, currency, tax rate, low-stock threshold, reservation time and holding
    limits."""
    form = SettingsForm(data=store_admin.settings_form_data())
    if _submit(form, store_admin.settings_values, store_admin.save_settings):
        flash("The settings are saved.", "success")
        return redirect(url_for("admin.settings"), code=303)
    return render_template("admin/settings.html", form=form), 422 if form.errors else 200


# --- Domains and payment keys (owners) --------------------------------------------------------


@bp.route("/settings/domains", methods=["GET", "POST"])
@owner_only
def settings_domains():
    """The host names the store answers to; the form adds one."""
    form = DomainForm()
    if form.validate_on_submit():
        try:
            domain = domains.add_domain(form.host.data)
        except StoreError as error:
            form.host.errors = [str(error)]
        else:
            flash(f"{domain.host} now serves this store.", "success")
            return redirect(url_for("admin.settings_domains"), code=303)
    return render_template("admin/settings_domains.html", form=form,
                           domains=domains.store_domains(), store=tenancy.current_store(),
                           cache_seconds=tenancy.CACHE_SECONDS), 422 if form.errors else 200


@bp.post("/settings/domains/<id:domain_id>/remove")
@owner_only
def settings_domain_remove(domain_id: int):
    """Stop the store answering to one of its host names."""
    host = domains.remove_domain(domain_id)
    if host is None:
        abort(404, description="This store has no such domain.")
    flash(f"{host} no longer serves this store.", "success")
    return redirect(url_for("admin.settings_domains"), code=303)


@bp.route("/settings/payments", methods=["GET", "POST"])
@owner_only
def settings_payments():
    """The store's Stripe keys, shown masked; the form sets them."""
    keys = payment_keys.keys_view()
    form = PaymentKeysForm(data={"publishable_key": keys.publishable_key})
    if form.validate_on_submit():
        try:
            changed = payment_keys.save_keys(form.secret_key.data, form.publishable_key.data,
                                             form.webhook_secret.data)
        except payment_keys.InvalidKeys as error:
            for name, message in error.errors.items():
                form[name].errors = [message]
        else:
            flash("The Stripe keys are saved." if changed else "The keys are as they were.",
                  "success")
            return redirect(url_for("admin.settings_payments"), code=303)
    return render_template("admin/settings_payments.html", form=form, keys=keys,
                           uses_stripe=payments.uses_stripe(),
                           store=tenancy.current_store()), 422 if form.errors else 200


@bp.post("/settings/payments/remove")
@owner_only
def settings_payments_remove():
    """Forget the store's Stripe keys: it takes demo payments again."""
    if payment_keys.remove_keys():
        flash("The Stripe keys are removed.", "success")
    else:
        flash("The store had no Stripe keys of its own.", "notice")
    return redirect(url_for("admin.settings_payments"), code=303)


# --- The store's icon -------------------------------------------------------------------------


@bp.post("/settings/favicon")
@admin_only
def settings_favicon():
    """Make an uploaded picture the store's icon: browser tabs, home screens, search results."""
    try:
        favicon.set_favicon(read_picture(request.files.get("favicon")))
    except (CatalogAdminError, favicon.FaviconError) as error:
        form = SettingsForm(formdata=None, data=store_admin.settings_form_data())
        return render_template("admin/settings.html", form=form, favicon_error=str(error)), 422
    flash("The store's icon is saved.", "success")
    return redirect(url_for("admin.settings"), code=303)


@bp.post("/settings/favicon/remove")
@admin_only
def settings_favicon_remove():
    """Go back to the default icon."""
    if favicon.remove_favicon():
        flash("The store's icon is removed; pages show the default one.", "success")
    else:
        flash("The store had no icon of its own.", "notice")
    return redirect(url_for("admin.settings"), code=303)
