"""GET/POST /admin/stores: every store of the installation (platform owners only)."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from shophub.admin.blueprint import bp, platform_only
from shophub.admin.people.service import StaffError
from shophub.admin.stores.forms import StoreForm
from shophub.admin.stores.service import open_store
from shophub.stores import service as stores


@bp.route("/stores", methods=["GET", "POST"])
@platform_only
def stores_page():
    """The stores with their domains and order counts; the form creates one more."""
    form = StoreForm()
    if form.validate_on_submit():
        try:
            store, owner = open_store(form.slug.data, form.name.data,
                                      [form.domain.data] if form.domain.data else [],
                                      form.currency.data or None, form.owner.data or None,
                                      current_user, actor_label=current_user.email)
        except stores.StoreError as error:
            form.slug.errors = [str(error)]
        except StaffError as error:
            form.owner.errors = [str(error)]
        else:
            whose = (f" {owner.email} is its owner." if owner else
                     f" An owner's invite is on its way to {form.owner.data}."
                     if form.owner.data else "")
            flash(f"Store {store.slug} created.{whose}", "success")
            return redirect(url_for("admin.stores_page"))
    status = 422 if form.errors else 200
    return render_template("admin/stores.html", form=form,
                           stores=stores.store_overview()), status
