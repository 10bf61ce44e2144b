"""Admin store pages: coupons, shipping methods and the store settings."""

from flask import abort, flash, redirect, render_template, url_for

from shophub.admin.blueprint import admin_only, bp
from shophub.admin.store import service as store_admin
from shophub.admin.store.forms import CouponForm, SettingsForm, ShippingForm
from shophub.core.coupons import COUPON_KINDS
from shophub.extensions import db
from shophub.models import Coupon, ShippingMethod
from shophub.platform import store_settings


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
