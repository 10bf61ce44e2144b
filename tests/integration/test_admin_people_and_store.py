"""Admin people and store pages: customers, staff and invites, coupons, shipping, settings."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from redis import Redis
from sqlalchemy import func, select

from shophub.accounts import users
from shophub.admin.people import service as staff
from shophub.extensions import db
from shophub.models import (
    Address,
    AuditEntry,
    Coupon,
    Order,
    ShippingMethod,
    StaffInvite,
    StoreSettings,
    User,
)
from shophub.platform import mail, store_settings
from tests.checkout_data import make_method, place_from_cart
from tests.conftest import make_app
from tests.services import flushed_redis_url
from tests.shop_data import PASSWORD, log_in, make_user, make_variant, sign_up

NEW_PASSWORD = "a fresh staff passphrase"
HX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def user_by_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def add_order(user_id: int | None, number: str, total: int, *, paid: bool = True,
              refunded: int = 0, email: str = "buyer@example.com") -> None:
    now = datetime.now(UTC)
    db.session.add(Order(
        number=number, token=f"tok-{number}", user_id=user_id, email=email, ship_name="A",
        ship_line1="1 Main St", ship_city="Town", ship_country="US", currency="USD",
        subtotal_cents=total, total_cents=total, refunded_cents=refunded,
        status="paid" if paid else "pending",
        payment_status="succeeded" if paid else "requires_payment",
        stock_state="committed" if paid else "reserved", reserved_until=now,
        paid_at=now if paid else None))
    db.session.commit()


def quick_user(email: str, name: str) -> int:
    """A customer row without the cost of hashing a password (it never logs in)."""
    user = User(email=email, name=name, password_hash="!", role="customer")
    db.session.add(user)
    db.session.commit()
    return user.id


def client_for(app, email: str, role: str | None = None):
    """A new client logged in as `email` (creating the account when a role is given)."""
    if role is not None:
        with app.app_context():
            make_user(email, role=role)
    client = app.test_client()
    assert log_in(client, email).status_code == 303
    return client


@pytest.fixture
def admin(app):
    return client_for(app, "admin@example.com", "admin")


@pytest.fixture
def staff_member(app):
    return client_for(app, "staff@example.com", "staff")


# --- Customers --------------------------------------------------------------------------------


@pytest.fixture
def shoppers(app):
    """Three customers with known spend: Ann 50 + 30 - 10, Bob 100, Cy nothing paid."""
    with app.app_context():
        ids = {}
        for email, name in (("ann@example.com", "Ann Archer"), ("bob@example.com", "Bob Baker"),
                            ("cy@example.com", "Cy Cooper")):
            ids[name] = users.register(email, PASSWORD, name=name).id
        db.session.commit()
        add_order(ids["Ann Archer"], "SH-1", 5000)
        add_order(ids["Ann Archer"], "SH-2", 3000, refunded=1000)
        add_order(ids["Bob Baker"], "SH-3", 10000)
        add_order(ids["Cy Cooper"], "SH-4", 9999, paid=False)
        db.session.add(Address(user_id=ids["Ann Archer"], full_name="Ann Archer",
                               line1="12 Elm Road", city="Leeds", postal_code="LS1 1AA",
                               country="GB"))
        db.session.commit()
    return ids


def names_in_order(page: str) -> list[str]:
    return re.findall(r"(Ann Archer|Bob Baker|Cy Cooper)</a>", page)


def test_customers_are_listed_searched_and_sorted(shoppers, staff_member):
    page = text(staff_member.get("/admin/customers"))
    assert names_in_order(page) == ["Cy Cooper", "Bob Baker", "Ann Archer"]  # newest first
    assert "$70.00" in page and "$100.00" in page and "staff@example.com" not in page
    by_spend = text(staff_member.get("/admin/customers?sort=spent&dir=desc"))
    assert names_in_order(by_spend) == ["Bob Baker", "Ann Archer", "Cy Cooper"]
    by_orders = text(staff_member.get("/admin/customers?sort=orders&dir=desc"))
    assert names_in_order(by_orders) == ["Ann Archer", "Bob Baker", "Cy Cooper"]
    by_name = text(staff_member.get("/admin/customers?sort=name&dir=asc"))
    assert names_in_order(by_name) == ["Ann Archer", "Bob Baker", "Cy Cooper"]
    search = staff_member.get("/admin/customers?q=BOB", headers=HX)
    assert "<html" not in text(search) and names_in_order(text(search)) == ["Bob Baker"]
    assert search.headers["Vary"] == "HX-Request" or "HX-Request" in search.headers["Vary"]
    everyone = text(staff_member.get("/admin/customers?role="))
    assert "staff@example.com" in everyone
    junk = staff_member.get("/admin/customers?sort=zzz&page=-3&per_page=9999&active=maybe")
    assert junk.status_code == 200
    assert staff_member.get("/admin/customers?q=%00x").status_code == 200


def test_customer_filter_by_active(app, shoppers, staff_member):
    with app.app_context():
        user_by_email("bob@example.com").active = False
        db.session.commit()
    assert names_in_order(text(staff_member.get("/admin/customers?active=no"))) == ["Bob Baker"]
    assert "Bob Baker" not in text(staff_member.get("/admin/customers?active=yes"))


@pytest.mark.parametrize("per_page", [25, 100])
def test_customer_list_statement_count_does_not_grow_with_the_page(
        app, staff_member, count_statements, per_page):
    with app.app_context():
        for n in range(30):
            user_id = quick_user(f"c{n}@example.com", f"C {n}")
            add_order(user_id, f"N-{n}", 1000 + n)
    with count_statements() as counter:
        response = staff_member.get(f"/admin/customers?per_page={per_page}&sort=spent")
    assert response.status_code == 200
    assert text(response).count("@example.com</td>") == min(per_page, 30)
    # The user, the count, the page, its users' roles in this store (one statement for all of
    # them), the cart badge.
    assert counter.count <= 5, counter.statements


def test_customer_detail_shows_orders_addresses_and_totals(shoppers, staff_member):
    page = text(staff_member.get(f"/admin/customers/{shoppers['Ann Archer']}"))
    assert "SH-1" in page and "SH-2" in page and "12 Elm Road" in page
    assert "$70.00" in page  # 50 + 30 - 10 refunded
    assert "Deactivate the account" in page
    assert staff_member.get("/admin/customers/999999").status_code == 404


def test_deactivating_logs_the_customer_out_and_stops_their_login(app, shoppers, staff_member):
    shopper = client_for(app, "bob@example.com")
    assert shopper.get("/account/profile").status_code == 200
    bob = shoppers["Bob Baker"]
    response = staff_member.post(f"/admin/customers/{bob}/deactivate")
    assert response.status_code == 303
    assert "is deactivated" in text(staff_member.get(response.location))
    profile = shopper.get("/account/profile")
    assert profile.status_code == 302 and "/account/login" in profile.location
    assert log_in(app.test_client(), "bob@example.com").status_code == 422
    with app.app_context():
        assert users.authenticate("bob@example.com", PASSWORD) is None
        (entry,) = audit_entries("user.deactivated")
        assert entry.actor_label == "staff@example.com" and entry.entity_id == bob
        assert entry.before["active"] is True and entry.after["active"] is False

    assert staff_member.post(f"/admin/customers/{bob}/reactivate").status_code == 303
    assert log_in(app.test_client(), "bob@example.com").status_code == 303
    with app.app_context():
        assert audit_entries("user.reactivated")[0].after["active"] is True


def test_staff_cannot_deactivate_admins_and_nobody_themselves(app, staff_member, admin):
    with app.app_context():
        admin_id = user_by_email("admin@example.com").id
        staff_id = user_by_email("staff@example.com").id
    response = staff_member.post(f"/admin/customers/{admin_id}/deactivate", follow_redirects=True)
    assert "Only an admin can change a staff or admin account." in text(response)
    response = admin.post(f"/admin/customers/{admin_id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in text(response)
    with app.app_context():
        assert user_by_email("admin@example.com").active
        assert not audit_entries("user.deactivated")
    assert admin.post(f"/admin/customers/{staff_id}/deactivate").status_code == 303
    assert staff_member.get("/admin").status_code == 302  # logged out


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, admin):
    with app.app_context():
        admin_id = user_by_email("admin@example.com").id
    response = admin.post(f"/admin/staff/{admin_id}/role", data={"role": "staff"},
                          follow_redirects=True)
    assert "You are the last active admin" in text(response)
    with app.app_context():
        assert user_by_email("admin@example.com").role == "admin"
        make_user("second@example.com", role="admin")
        second = user_by_email("second@example.com")
        second.active = False  # a deactivated admin does not count
        db.session.commit()
        me = user_by_email("admin@example.com")
        with pytest.raises(staff.StaffError, match="last active admin"):
            staff.change_role(me, me, "customer")
        # Were the acting admin not themself active, the last admin still could not go.
        me.active = False
        second.active = True
        db.session.commit()
        with pytest.raises(staff.StaffError, match="last active admin"):
            staff.deactivate(me, second)
        me.active = True
        db.session.commit()
        second_id = second.id
    # With another active admin, an admin may step down.
    response = admin.post(f"/admin/staff/{admin_id}/role", data={"role": "staff"})
    assert response.status_code == 303 and response.location.endswith("/admin")
    with app.app_context():
        assert user_by_email("admin@example.com").role == "staff"
        (entry,) = audit_entries("user.role_changed")
        assert entry.before["role"] == "admin" and entry.after["role"] == "staff"
        assert second_id


def test_role_changes_are_for_admins_and_checked(app, admin, staff_member, shoppers):
    bob = shoppers["Bob Baker"]
    assert staff_member.post(f"/admin/staff/{bob}/role", data={"role": "admin"}).status_code == 403
    response = admin.post(f"/admin/staff/{bob}/role", data={"role": "wizard"},
                          follow_redirects=True)
    assert "Choose customer, staff, admin or owner." in text(response)
    admin.post(f"/admin/staff/{bob}/role", data={"role": "staff", "next": "staff"})
    with app.app_context():
        assert db.session.get(User, bob).role == "staff"
    assert "bob@example.com" in text(admin.get("/admin/staff"))


def test_staff_get_403_on_staff_invites_and_settings(staff_member):
    assert staff_member.get("/admin/staff").status_code == 403
    assert staff_member.get("/admin/settings").status_code == 403
    assert staff_member.post("/admin/settings", data={"tax_rate": "1"}).status_code == 403
    response = staff_member.post("/admin/staff/invites", data={"email": "x@example.com",
                                                              "role": "admin"})
    assert response.status_code == 403
    assert staff_member.get("/admin/coupons").status_code == 200
    assert staff_member.get("/admin/shipping").status_code == 200


# --- Invites ----------------------------------------------------------------------------------


def invite_links(app) -> list[str]:
    links = []
    for message in mail.outbox_messages(app.config["MAIL_OUTBOX"]):
        if message["Subject"] == "You are invited to join the staff":
            body = message.get_body(("plain",)).get_content()
            links.append(urlsplit(re.search(r"http\S+/invite/\S+", body).group(0)).path)
    return links


def accept(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"name": "Nia New", "password": password,
                                   "confirm": confirm if confirm is not None else password})


def test_an_invite_mails_a_link_that_makes_a_staff_account_once(app, admin):
    response = admin.post("/admin/staff/invites", data={"email": "Nia@Example.com",
                                                        "role": "staff"})
    assert response.status_code == 303
    assert "nia@example.com" in text(admin.get("/admin/staff"))  # an open invite
    (path,) = invite_links(app)
    (message,) = mail.outbox_messages(app.config["MAIL_OUTBOX"])
    assert message["To"] == "nia@example.com"
    assert "72 hours" in message.get_body(("plain",)).get_content()
    with app.app_context():
        invite = db.session.scalar(select(StaffInvite))
        token = path.rsplit("/", 1)[1]
        assert invite.token_hash != token and len(invite.token_hash) == 64
        assert invite.role == "staff" and invite.invited_by_id is not None
        expires = invite.expires_at.replace(tzinfo=UTC)
        assert timedelta(hours=71) < expires - datetime.now(UTC) <= timedelta(hours=72)
        assert audit_entries("staff.invited")[0].after == {"email": "nia@example.com",
                                                          "role": "staff"}

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200 and "nia@example.com" in text(page)
    weak = accept(invitee, path, "short")
    assert weak.status_code == 422 and "Use at least 10 characters." in text(weak)
    mismatch = accept(invitee, path, confirm="something else entirely")
    assert mismatch.status_code == 422
    with app.app_context():
        assert user_by_email("nia@example.com") is None
        assert db.session.scalar(select(StaffInvite)).used_at is None

    done = accept(invitee, path)
    assert done.status_code == 303 and done.location.endswith("/admin")
    assert invitee.get("/admin").status_code == 200  # logged in as staff
    with app.app_context():
        nia = user_by_email("nia@example.com")
        assert nia.role == "staff" and nia.name == "Nia New"
        assert users.authenticate("nia@example.com", NEW_PASSWORD) is not None
        assert db.session.scalar(select(StaffInvite)).used_at is not None
        assert audit_entries("staff.invite_accepted")[0].after["role"] == "staff"

    again = app.test_client()
    reused = again.get(path)
    assert reused.status_code == 410 and "already been accepted" in text(reused)
    assert accept(again, path, "another long passphrase").status_code == 410
    with app.app_context():
        assert users.authenticate("nia@example.com", NEW_PASSWORD) is not None
    unknown = again.get("/invite/not-a-real-token")
    assert unknown.status_code == 404 and "not valid" in text(unknown)


def test_expired_and_replaced_invites_are_refused(app, admin):
    admin.post("/admin/staff/invites", data={"email": "late@example.com", "role": "admin"})
    admin.post("/admin/staff/invites", data={"email": "late@example.com", "role": "admin"})
    first, second = invite_links(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffInvite)) == 1
    assert app.test_client().get(first).status_code == 404  # replaced by the second invite
    with app.app_context():
        invite = db.session.scalar(select(StaffInvite))
        invite.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    expired = app.test_client().get(second)
    assert expired.status_code == 410 and "expired" in text(expired)
    assert accept(app.test_client(), second).status_code == 410
    with app.app_context():
        assert user_by_email("late@example.com") is None


def test_an_invited_customer_is_promoted_and_gets_the_new_password(app, admin, shoppers):
    shopper = client_for(app, "ann@example.com")
    admin.post("/admin/staff/invites", data={"email": "ann@example.com", "role": "admin"})
    (path,) = invite_links(app)
    assert accept(app.test_client(), path).status_code == 303
    with app.app_context():
        ann = user_by_email("ann@example.com")
        assert ann.role == "admin" and ann.id == shoppers["Ann Archer"]
        assert users.authenticate("ann@example.com", PASSWORD) is None
        assert users.authenticate("ann@example.com", NEW_PASSWORD) is not None
    assert shopper.get("/account/profile").status_code == 302  # old sessions end


def test_invites_are_refused_for_staff_and_bad_input(app, admin, staff_member):
    taken = admin.post("/admin/staff/invites", data={"email": "staff@example.com",
                                                     "role": "admin"})
    assert taken.status_code == 422 and "already on the staff" in text(taken)
    bad = admin.post("/admin/staff/invites", data={"email": "nope", "role": "staff"})
    assert bad.status_code == 422 and "not valid" in text(bad)
    role = admin.post("/admin/staff/invites", data={"email": "x@example.com", "role": "customer"})
    assert role.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffInvite)) == 0
    assert invite_links(app) == []


def test_an_open_invite_can_be_withdrawn(app, admin):
    admin.post("/admin/staff/invites", data={"email": "gone@example.com", "role": "staff"})
    with app.app_context():
        invite_id = db.session.scalar(select(StaffInvite.id))
    assert admin.post(f"/admin/staff/invites/{invite_id}/revoke").status_code == 303
    (path,) = invite_links(app)
    assert app.test_client().get(path).status_code == 404
    with app.app_context():
        assert audit_entries("staff.invite_revoked")


# --- Coupons ----------------------------------------------------------------------------------


def coupon_form(**changes) -> dict:
    data = {"code": " spring 10 ", "description": "Spring sale", "kind": "percent",
            "value": "10", "min_subtotal": "", "starts": "2030-03-01", "ends": "2030-04-01",
            "usage_limit": "100", "per_customer_limit": "1", "active": "y"}
    data.update(changes)
    return data


def coupon_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Coupon))


def test_coupons_are_created_listed_edited_and_deleted(app, staff_member):
    assert staff_member.get("/admin/coupons/new").status_code == 200
    response = staff_member.post("/admin/coupons/new", data=coupon_form())
    assert response.status_code == 303
    with app.app_context():
        coupon = db.session.scalar(select(Coupon))
        assert coupon.code == "SPRING10" and coupon.kind == "percent" and coupon.value == 10
        assert coupon.starts_at.replace(tzinfo=UTC) == datetime(2030, 3, 1, tzinfo=UTC)
        assert coupon.usage_limit == 100 and coupon.per_customer_limit == 1 and coupon.active
        coupon_id = coupon.id
        assert audit_entries("coupon.created")[0].after["code"] == "SPRING10"
    listing = text(staff_member.get("/admin/coupons"))
    assert "SPRING10" in listing and "10 % off" in listing

    edit = staff_member.get(f"/admin/coupons/{coupon_id}/edit")
    assert 'value="SPRING10"' in text(edit) and 'value="2030-03-01"' in text(edit)
    response = staff_member.post(f"/admin/coupons/{coupon_id}/edit", data=coupon_form(
        code="SPRING10", kind="fixed", value="5.50", min_subtotal="20", usage_limit="",
        active=""))
    assert response.status_code == 303
    with app.app_context():
        coupon = db.session.get(Coupon, coupon_id)
        assert (coupon.kind, coupon.value, coupon.min_subtotal_cents) == ("fixed", 550, 2000)
        assert coupon.usage_limit is None and not coupon.active
        (entry,) = audit_entries("coupon.updated")
        assert entry.before["value"] == 10 and entry.after["value"] == 550
    assert 'value="5.50"' in text(staff_member.get(f"/admin/coupons/{coupon_id}/edit"))

    assert staff_member.post(f"/admin/coupons/{coupon_id}/delete").status_code == 303
    with app.app_context():
        assert coupon_count() == 0
        assert audit_entries("coupon.deleted")[0].before["code"] == "SPRING10"
    assert staff_member.get(f"/admin/coupons/{coupon_id}/edit").status_code == 404


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "percent", "value": "150"}, "A percentage is a whole number from 1 to 100."),
    ({"kind": "percent", "value": "12.5"}, "A percentage is a whole number from 1 to 100."),
    ({"kind": "fixed", "value": "0"}, "A fixed discount must be more than zero."),
    ({"kind": "fixed", "value": "1.234"}, "Use at most 2 decimals."),
    ({"starts": "2030-04-01", "ends": "2030-03-01"}, "The end date must be after the start"),
    ({"ends": "2030-03-01"}, "The end date must be after the start"),
    ({"ends": "not a date"}, "Not a valid date value."),
    ({"code": "   "}, "Enter a code."),
    ({"code": "NO WAY!"}, "Use letters, digits"),
    ({"code": "x\x00y"}, "Use letters, digits"),
    ({"usage_limit": "0"}, "Enter a whole number from 1"),
    ({"per_customer_limit": "many"}, "Not a valid integer value."),
    ({"min_subtotal": "-5"}, "The amount cannot be negative."),
    ({"kind": "bogus"}, "Not a valid choice."),
])
def test_coupon_form_refuses_bad_input_and_saves_nothing(app, staff_member, changes, message):
    response = staff_member.post("/admin/coupons/new", data=coupon_form(**changes))
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        assert coupon_count() == 0
        assert not audit_entries("coupon.created")


def test_coupon_codes_are_unique_whatever_their_case(app, staff_member):
    assert staff_member.post("/admin/coupons/new", data=coupon_form()).status_code == 303
    again = staff_member.post("/admin/coupons/new", data=coupon_form(code="Spring10",
                                                                      value="150"))
    assert again.status_code == 422
    page = text(again)
    assert "The code SPRING10 is already taken." in page
    assert "A percentage is a whole number from 1 to 100." in page  # every problem at once
    with app.app_context():
        assert coupon_count() == 1


def test_a_used_coupon_is_deactivated_instead_of_deleted(app, staff_member):
    staff_member.post("/admin/coupons/new", data=coupon_form(kind="free_shipping", value=""))
    with app.app_context():
        coupon = db.session.scalar(select(Coupon))
        coupon.times_used = 3
        db.session.commit()
        coupon_id = coupon.id
    response = staff_member.post(f"/admin/coupons/{coupon_id}/delete", follow_redirects=True)
    assert "has been used, so it was deactivated instead of deleted" in text(response)
    with app.app_context():
        coupon = db.session.get(Coupon, coupon_id)
        assert coupon is not None and not coupon.active
        assert audit_entries("coupon.deactivated")[0].after["active"] is False


# --- Shipping methods -------------------------------------------------------------------------


def test_shipping_methods_are_created_edited_and_deleted(app, staff_member):
    data = {"name": "Express", "description": "Next day", "price": "9.95", "free_over": "100",
            "position": "2", "active": "y"}
    assert staff_member.post("/admin/shipping/new", data=data).status_code == 303
    with app.app_context():
        method = db.session.scalar(select(ShippingMethod))
        assert (method.price_cents, method.free_over_cents, method.position) == (995, 10000, 2)
        method_id = method.id
        assert audit_entries("shipping_method.created")[0].after["price_cents"] == 995
    assert "Express" in text(staff_member.get("/admin/shipping"))
    assert 'value="9.95"' in text(staff_member.get(f"/admin/shipping/{method_id}/edit"))

    bad = staff_member.post(f"/admin/shipping/{method_id}/edit",
                            data={**data, "name": "", "price": "abc", "position": "x"})
    assert bad.status_code == 422
    for message in ("Enter a name.", "is not an amount", "Not a valid integer value."):
        assert message in text(bad)
    response = staff_member.post(f"/admin/shipping/{method_id}/edit",
                                 data={**data, "price": "12", "free_over": "", "active": ""})
    assert response.status_code == 303
    with app.app_context():
        method = db.session.get(ShippingMethod, method_id)
        assert (method.price_cents, method.free_over_cents, method.active) == (1200, None, False)
        (entry,) = audit_entries("shipping_method.updated")
        assert entry.before["price_cents"] == 995 and entry.after["price_cents"] == 1200

    assert staff_member.post(f"/admin/shipping/{method_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(ShippingMethod, method_id) is None
        assert audit_entries("shipping_method.deleted")[0].before["name"] == "Express"


def test_shipping_price_is_required(app, staff_member):
    response = staff_member.post("/admin/shipping/new", data={"name": "Post", "price": ""})
    assert response.status_code == 422 and "Enter an amount." in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShippingMethod)) == 0


# --- Settings ---------------------------------------------------------------------------------


def settings_form(app, **changes) -> dict:
    data = {"store_name": "Corner Shop", "currency": app.config["STORE_CURRENCY"],
            "tax_rate": "8.25", "low_stock_threshold": "3", "reservation_minutes": "45"}
    data.update(changes)
    return data


def test_settings_are_saved_and_audited(app, admin):
    assert admin.get("/admin/settings").status_code == 200
    response = admin.post("/admin/settings", data=settings_form(app))
    assert response.status_code == 303
    with app.app_context():
        saved = store_settings.current()
        assert saved.tax_rate_bp == 825 and saved.low_stock_threshold == 3
        assert saved.reservation_minutes == 45 and saved.store_name == "Corner Shop"
        assert saved.currency is None  # unchanged from the environment
        (entry,) = audit_entries("settings.updated")
        assert entry.before["tax_rate_bp"] == 0 and entry.after["tax_rate_bp"] == 825
    page = text(admin.get("/admin/settings"))
    assert 'value="8.25"' in page and 'value="Corner Shop"' in page
    admin.post("/admin/settings", data=settings_form(app, tax_rate="20"))
    with app.app_context():
        saved = store_settings.current()
        assert saved.tax_rate_bp == 2000
        assert (saved.max_units_per_variant, saved.max_pending_orders) == (10, 3)  # defaults
    admin.post("/admin/settings", data=settings_form(app, max_units_per_variant="4",
                                                     max_pending_orders="2"))
    with app.app_context():
        saved = store_settings.current()
        assert (saved.max_units_per_variant, saved.max_pending_orders) == (4, 2)
        assert audit_entries("settings.updated")[-1].after["max_pending_orders"] == 2


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tax_rate", "8.255", "Use at most 2 decimals"),
    ("tax_rate", "101", "from 0 to 100"),
    ("tax_rate", "-1", "from 0 to 100"),
    ("tax_rate", "abc", "is not a percentage"),
    ("tax_rate", "NaN", "is not a percentage"),
    ("tax_rate", "1e999999", "from 0 to 100"),
    ("reservation_minutes", "4", "from 5 to 1,440"),
    ("reservation_minutes", "1441", "from 5 to 1,440"),
    ("reservation_minutes", "", "from 5 to 1,440"),
    ("low_stock_threshold", "-1", "from 0 to 100,000"),
    ("low_stock_threshold", "100001", "from 0 to 100,000"),
    ("max_units_per_variant", "0", "from 1 to 99"),
    ("max_units_per_variant", "100", "from 1 to 99"),
    ("max_pending_orders", "0", "from 1 to 100"),
    ("max_pending_orders", "", "from 1 to 100"),
    ("store_name", "  ", "Enter the store"),
    ("currency", "XXX", "Not a valid choice"),
])
def test_settings_refuse_bad_values_and_save_nothing(app, admin, field, value, message):
    response = admin.post("/admin/settings", data=settings_form(app, **{field: value}))
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        assert db.session.get(StoreSettings, 1) is None
        assert not audit_entries("settings.updated")


def test_currency_change_is_refused_when_prices_would_change_value(app, admin):
    assert app.config["STORE_CURRENCY"] == "USD"
    with app.app_context():
        make_variant("Mug")
    refused = admin.post("/admin/settings", data=settings_form(app, currency="JPY"))
    assert refused.status_code == 422
    assert "priced in USD" in text(refused) and "JPY has 0" in text(refused)
    with app.app_context():
        assert db.session.get(StoreSettings, 1) is None
    # The same number of decimals: stored amounts keep their value.
    assert admin.post("/admin/settings", data=settings_form(app, currency="EUR")).status_code == 303
    with app.app_context():
        assert store_settings.current().currency == "EUR"
        assert audit_entries("settings.updated")[0].after["currency"] == "EUR"


def test_currency_change_is_allowed_on_an_empty_store(app, admin):
    response = admin.post("/admin/settings", data=settings_form(app, currency="JPY"))
    assert response.status_code == 303
    with app.app_context():
        assert store_settings.current().currency == "JPY"


def test_orders_in_the_old_currency_block_a_currency_change(app, admin):
    with app.app_context():
        add_order(None, "SH-9", 1000)
    refused = admin.post("/admin/settings", data=settings_form(app, currency="KWD"))
    assert refused.status_code == 422 and "priced in USD" in text(refused)


def test_customer_pages_keep_the_filters(app, staff_member):
    with app.app_context():
        for n in range(27):
            quick_user(f"p{n}@example.com", f"P {n}")
    first = text(staff_member.get("/admin/customers?role=&per_page=25"))
    assert first.count("@example.com</td>") == 25
    next_link = re.search(r'<a href="([^"]+)">Next</a>', first).group(1).replace("&amp;", "&")
    assert "role=&" in next_link or next_link.endswith("role=")
    second = text(staff_member.get(next_link))
    assert second.count("@example.com</td>") == 3  # 27 customers and the staff member
    assert "Page 2 of 2" in second


def test_display_name_prefers_the_saved_name(app):
    with app.app_context():
        assert store_settings.display_name() == app.config["STORE_NAME"]
        store_settings.save(store_name="Corner Shop")
        db.session.commit()
        assert store_settings.display_name() == "Corner Shop"


def test_a_rolled_back_change_keeps_the_cached_name(app):
    with app.app_context():
        assert store_settings.display_name() == app.config["STORE_NAME"]
        store_settings.save(store_name="Never Saved")
        db.session.flush()
        db.session.rollback()
        store_settings.save(tax_rate_bp=100)  # a later commit of other settings
        db.session.commit()
        assert store_settings.display_name() == app.config["STORE_NAME"]


def test_saved_name_and_currency_reach_shoppers_at_once(app, admin):
    with app.app_context():
        variant_id = make_variant("Mug", price=1250)
        add_order(None, "SH-7", 1250)
        method_id = make_method(price=500)
    shopper = app.test_client()
    home = text(shopper.get("/"))
    assert app.config["STORE_NAME"] in home and "All prices in USD" in home
    assert "$12.50" in text(shopper.get("/products"))

    assert admin.post("/admin/settings",
                      data=settings_form(app, currency="EUR")).status_code == 303

    home = text(shopper.get("/"))
    assert "<title>Corner Shop</title>" in home and "All prices in EUR" in home
    assert "€12.50" in text(shopper.get("/products"))
    assert "€12.50" in text(shopper.get("/products?min_price=12.50"))
    # An order keeps the currency it was placed in.
    old_order = text(shopper.get("/orders/tok-SH-7"))
    assert "$12.50" in old_order and "€" not in old_order
    with app.app_context():
        order = place_from_cart([(variant_id, 1)], method_id)
        assert order.currency == "EUR"
        token = order.token
    assert "€12.50" in text(shopper.get(f"/orders/{token}"))
    assert sign_up(app.test_client(), "new@example.com").status_code == 303
    with app.app_context():
        (welcome,) = [m for m in mail.outbox_messages(app.config["MAIL_OUTBOX"])
                      if "Welcome" in m["Subject"]]
        assert welcome["Subject"] == "Welcome to Corner Shop"
        assert welcome["From"] == "Corner Shop <shop@localhost>"


def test_pages_still_render_when_the_cache_is_down(database_url, tmp_path):
    broken = make_app(database_url, tmp_path, CACHE_TYPE="RedisCache",
                      CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    with broken.app_context():
        store_settings.save(store_name="Corner Shop")
        db.session.commit()
    try:
        response = broken.test_client().get("/")
        assert response.status_code == 200
        assert "<title>Corner Shop</title>" in text(response)
    finally:
        with broken.app_context():
            db.session.delete(db.session.get(StoreSettings, 1))
            db.session.commit()
            db.engine.dispose()


@pytest.fixture
def cache_redis_url():
    url = flushed_redis_url(12, "the shared settings cache test")
    yield url
    Redis.from_url(url).flushdb()


def test_a_settings_change_reaches_every_worker_through_redis(app, tmp_path, cache_redis_url):
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [make_app(database_url, tmp_path / f"worker{n}", CACHE_TYPE="RedisCache",
                        CACHE_REDIS_URL=cache_redis_url, CACHE_KEY_PREFIX="shophub:",
                        CATALOG_CACHE_SECONDS=60)
               for n in range(2)]
    with workers[0].app_context():
        make_user("admin@example.com", role="admin")
        make_variant("Mug", price=1250)
    admin_client, shopper = workers[0].test_client(), workers[1].test_client()
    # Worker 1 caches the name, the currency and a listing.
    assert app.config["STORE_NAME"] in text(shopper.get("/"))
    assert "$12.50" in text(shopper.get("/products"))
    assert Redis.from_url(cache_redis_url).exists("shophub:store:1:identity")
    assert log_in(admin_client, "admin@example.com").status_code == 303
    assert admin_client.post("/admin/settings",
                             data=settings_form(app, currency="EUR")).status_code == 303
    assert "<title>Corner Shop</title>" in text(shopper.get("/"))
    assert "€12.50" in text(shopper.get("/products"))
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()
