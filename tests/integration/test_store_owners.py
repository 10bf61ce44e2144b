"""Store owners: the role above admin, its pages (domains, payment keys), its invites, its
last-one protection, and the migration that gives every existing store its owner."""

import re
from urllib.parse import urlsplit

import flask_migrate
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import func, select

from shophub import payments
from shophub.admin.people import service as staff
from shophub.extensions import db
from shophub.models import AuditEntry, StaffInvite, Store, StoreDomain, User
from shophub.platform import mail, tenancy
from tests.conftest import make_app
from tests.shop_data import PASSWORD, log_in, make_user

CORNER_HOST = "corner.example.com"
OWNER_PAGES = ["/admin/settings/domains", "/admin/settings/payments"]
SECRET = "sk_live_51Habcdefghijklmnop4242"
PUBLISHABLE = "pk_live_51Habcdefghijklmnopqrst"
WEBHOOK = "whsec_signingsecretvalue9876"
NEW_PASSWORD = "a fresh owner passphrase"


def text(response) -> str:
    return response.get_data(as_text=True)


class _HostClient(FlaskClient):
    """A test client whose every request names one Host."""

    host = "localhost"

    def open(self, *args, **kwargs):
        """Send the request to `host`."""
        kwargs.setdefault("environ_overrides", {})["HTTP_HOST"] = self.host
        return super().open(*args, **kwargs)


def client_at(app, email: str | None = None, host: str = "localhost") -> FlaskClient:
    """A client of `host`, logged in as `email` when given."""
    app.test_client_class = type("Client", (_HostClient,), {"host": host})
    try:
        client = app.test_client()
    finally:
        app.test_client_class = None
    if email is not None:
        assert log_in(client, email).status_code == 303, email
    return client


def user_by_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(tenancy.across_stores(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))))


def create_store(app, *args: str):
    return app.test_cli_runner().invoke(args=["shophub", "create-store", *args])


@pytest.fixture
def people(app):
    """An owner, an admin and a member of staff of the default store, each logged in."""
    with app.app_context():
        for email, role in (("owner@example.com", "owner"), ("admin@example.com", "admin"),
                            ("staff@example.com", "staff")):
            make_user(email, role=role)
    return {role: client_at(app, f"{role}@example.com") for role in ("owner", "admin", "staff")}


@pytest.fixture
def corner(app):
    """A second store at corner.example.com; returns its id."""
    result = create_store(app, "corner", "--name", "Corner Shop", "--domain", CORNER_HOST)
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session.scalar(select(Store.id).where(Store.slug == "corner"))


# --- who may open what ------------------------------------------------------------------------


def test_only_owners_open_the_domain_and_payment_pages(app, people):
    for path in OWNER_PAGES:
        assert people["owner"].get(path).status_code == 200, path
        for role in ("admin", "staff"):
            assert people[role].get(path).status_code == 403, (role, path)
            assert people[role].post(path, data={"host": "x.example.com"}).status_code == 403
    assert "owner can open this page" in text(people["admin"].get("/admin/settings/payments"))
    assert people["admin"].post("/admin/settings/payments/remove").status_code == 403
    # An owner passes every admin check; the settings area links the owner's pages.
    for path in ("/admin/staff", "/admin/settings", "/admin/payments/health"):
        assert people["owner"].get(path).status_code == 200, path
    assert "Payment keys" in text(people["owner"].get("/admin/settings"))
    assert "Payment keys" not in text(people["admin"].get("/admin/settings"))
    with app.app_context():
        assert not audit("store.domain_added") and not audit("store.payment_keys_updated")


def test_a_platform_owner_acts_as_owner_in_every_store(app, corner):
    with app.app_context():
        platform_id = make_user("platform@example.com")
        db.session.get(User, platform_id).is_platform_owner = True
        db.session.commit()
    at_corner = client_at(app, "platform@example.com", CORNER_HOST)
    for path in [*OWNER_PAGES, "/admin/staff", "/admin/orders"]:
        assert at_corner.get(path).status_code == 200, path
    assert 'href="/admin"' in text(at_corner.get("/"))


def test_an_owner_of_one_store_is_a_customer_in_another(app, people, corner):
    at_corner = client_at(app, "owner@example.com", CORNER_HOST)
    for path in OWNER_PAGES:
        assert at_corner.get(path).status_code == 403
    with app.app_context():
        domain_id = db.session.scalar(select(StoreDomain.id).where(
            StoreDomain.host == CORNER_HOST))
    # The default store's owner, at home, cannot remove the corner's domain by its id.
    assert people["owner"].post(f"/admin/settings/domains/{domain_id}/remove").status_code == 404
    with app.app_context():
        assert db.session.get(StoreDomain, domain_id) is not None


# --- roles: the owner role and the last owner -------------------------------------------------


def test_admins_neither_make_owners_nor_change_them(app, people):
    with app.app_context():
        owner_id = user_by_email("owner@example.com").id
        staff_id = user_by_email("staff@example.com").id
    admin = people["admin"]
    refused = admin.post(f"/admin/staff/{owner_id}/role", data={"role": "staff"},
                         follow_redirects=True)
    assert "Only an owner can" in text(refused)
    refused = admin.post(f"/admin/staff/{staff_id}/role", data={"role": "owner"},
                         follow_redirects=True)
    assert "Only an owner can" in text(refused)
    refused = admin.post(f"/admin/customers/{owner_id}/deactivate", follow_redirects=True)
    assert "Only an owner can change an owner&#39;s account." in text(refused)
    # Admins still manage staff and admins.
    assert admin.post(f"/admin/staff/{staff_id}/role", data={"role": "admin"}).status_code == 303
    page = text(admin.get("/admin/staff"))
    assert 'value="owner"' not in page and "only an owner changes it" in page
    with app.app_context():
        assert user_by_email("owner@example.com").role == "owner"
        assert user_by_email("staff@example.com").role == "admin"
        assert user_by_email("owner@example.com").active


def test_a_store_keeps_its_last_owner(app, people):
    with app.app_context():
        owner_id = user_by_email("owner@example.com").id
        admin_id = user_by_email("admin@example.com").id
    owner = people["owner"]
    refused = owner.post(f"/admin/staff/{owner_id}/role", data={"role": "admin"},
                         follow_redirects=True)
    assert "You are the last active owner; make someone else an owner first." in text(refused)
    with app.app_context():
        platform = user_by_email("admin@example.com")
        platform.is_platform_owner = True  # a platform owner may manage owners anywhere
        db.session.commit()
        me = user_by_email("owner@example.com")
        with pytest.raises(staff.StaffError, match="last active owner"):
            staff.deactivate(user_by_email("admin@example.com"), me)
        platform.is_platform_owner = False
        db.session.commit()
        assert user_by_email("owner@example.com").role == "owner"
    # With a second owner, the first may step down.
    assert owner.post(f"/admin/staff/{admin_id}/role", data={"role": "owner"}).status_code == 303
    stepped = owner.post(f"/admin/staff/{owner_id}/role", data={"role": "admin"})
    assert stepped.status_code == 303
    assert owner.get("/admin/settings/payments").status_code == 403
    with app.app_context():
        assert user_by_email("admin@example.com").role == "owner"
        assert user_by_email("owner@example.com").role == "admin"
        entries = audit("user.role_changed")
        assert [(e.before["role"], e.after["role"]) for e in entries] == [
            ("admin", "owner"), ("owner", "admin")]


def owner_invite_links(app) -> list[str]:
    links = []
    for message in mail.outbox_messages(app.config["MAIL_OUTBOX"]):
        body = message.get_body(("plain",)).get_content()
        if " as owner." in body:
            links.append(urlsplit(re.search(r"http\S+/invite/\S+", body).group(0)))
    return links


def test_only_owners_invite_owners(app, people):
    form = {"email": "partner@example.com", "role": "owner"}
    assert 'value="owner"' not in text(people["admin"].get("/admin/staff"))
    assert people["admin"].post("/admin/staff/invites", data=form).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffInvite.id))) == 0
        with pytest.raises(staff.StaffError, match="Only an owner can invite an owner."):
            staff.invite(user_by_email("admin@example.com"), "partner@example.com", "owner")
    assert 'value="owner"' in text(people["owner"].get("/admin/staff"))
    assert people["owner"].post("/admin/staff/invites", data=form).status_code == 303
    (link,) = owner_invite_links(app)
    invitee = app.test_client()
    accepted = invitee.post(link.path, data={"name": "Pat", "password": NEW_PASSWORD,
                                             "confirm": NEW_PASSWORD})
    assert accepted.status_code == 303
    assert invitee.get("/admin/settings/payments").status_code == 200
    with app.app_context():
        assert user_by_email("partner@example.com").role == "owner"


def test_an_invite_never_lowers_a_role(app, people):
    with app.app_context():
        owner = user_by_email("owner@example.com")
        owner.role = "customer"  # so that an invite may be sent, then made owner again
        db.session.commit()
        staff.invite(user_by_email("admin@example.com"), "owner@example.com", "staff")
        user_by_email("owner@example.com").role = "owner"
        db.session.commit()
    (message,) = mail.outbox_messages(app.config["MAIL_OUTBOX"])
    path = urlsplit(re.search(r"http\S+/invite/\S+",
                              message.get_body(("plain",)).get_content()).group(0)).path
    app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    with app.app_context():
        assert user_by_email("owner@example.com").role == "owner"


# --- creating stores with their owner ---------------------------------------------------------


def test_create_store_makes_a_named_account_its_owner(app):
    with app.app_context():
        make_user("alice@example.com")
    result = create_store(app, "corner", "--name", "Corner Shop", "--domain", CORNER_HOST,
                          "--owner", "Alice@Example.com")
    assert result.exit_code == 0, result.output
    assert "alice@example.com is its owner." in result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        assert user_by_email("alice@example.com").role == "customer"
        with tenancy.use_store(store_id):
            assert user_by_email("alice@example.com").role == "owner"
    assert client_at(app, "alice@example.com", CORNER_HOST).get(
        "/admin/settings/domains").status_code == 200


def test_create_store_invites_an_owner_without_an_account(app):
    result = create_store(app, "corner", "--name", "Corner Shop", "--domain", CORNER_HOST,
                          "--owner", "bea@example.com")
    assert result.exit_code == 0, result.output
    assert "An owner's invite is on its way to bea@example.com." in result.output
    (link,) = owner_invite_links(app)
    assert link.netloc == CORNER_HOST
    invitee = client_at(app, host=CORNER_HOST)
    answer = invitee.post(link.path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 303
    assert invitee.get("/admin/settings/payments").status_code == 200


def test_create_store_with_a_bad_owner_writes_nothing(app):
    result = create_store(app, "corner", "--name", "Corner Shop", "--owner", "not an email")
    assert result.exit_code != 0 and "not valid" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(Store.id).where(Store.slug == "corner")) is None


def test_a_platform_owner_names_the_owner_of_a_new_store(app):
    with app.app_context():
        platform_id = make_user("platform@example.com", role="admin")
        db.session.get(User, platform_id).is_platform_owner = True
        db.session.commit()
        make_user("carl@example.com")
    platform = client_at(app, "platform@example.com")
    created = platform.post("/admin/stores", data={"slug": "third", "name": "Third Shop",
                                                   "owner": "carl@example.com"})
    assert created.status_code == 302
    assert "carl@example.com is its owner." in text(platform.get("/admin/stores"))
    refused = platform.post("/admin/stores", data={"slug": "fourth", "name": "Fourth",
                                                   "owner": "nobody at all"})
    assert refused.status_code == 422 and "not valid" in text(refused)
    with app.app_context():
        third = db.session.scalar(select(Store.id).where(Store.slug == "third"))
        assert db.session.scalar(select(Store.id).where(Store.slug == "fourth")) is None
        with tenancy.use_store(third):
            assert user_by_email("carl@example.com").role == "owner"


def test_create_admin_owner_names_the_default_stores_owner(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["shophub", "create-admin", "boss@example.com"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "The store has no owner yet" in result.output
    result = runner.invoke(args=["shophub", "create-admin", "boss@example.com", "--owner"],
                           input="\n")
    assert result.exit_code == 0 and "Promoted owner boss@example.com." in result.output
    assert "no owner yet" not in result.output
    # Promoting an owner to admin again keeps them owner.
    runner.invoke(args=["shophub", "create-admin", "boss@example.com"], input="\n")
    with app.app_context():
        assert user_by_email("boss@example.com").role == "owner"


# --- domains ----------------------------------------------------------------------------------


def test_an_owner_adds_a_domain_and_it_serves_the_store_at_once(app, corner):
    with app.app_context():
        make_user("owner@example.com")
        with tenancy.use_store(corner):
            user_by_email("owner@example.com").role = "owner"
            db.session.commit()
    shopper = app.test_client()
    # Cached by this process as a stranger to every store: the default store answers.
    assert "Corner Shop" not in text(shopper.get("/", headers={"Host": "shop.corner.test"}))
    owner = client_at(app, "owner@example.com", CORNER_HOST)
    added = owner.post("/admin/settings/domains", data={"host": " Shop.Corner.TEST. "})
    assert added.status_code == 303
    assert "shop.corner.test" in text(owner.get("/admin/settings/domains"))
    assert "Corner Shop" in text(shopper.get("/", headers={"Host": "shop.corner.test"}))
    with app.app_context():
        domain_id = db.session.scalar(select(StoreDomain.id).where(
            StoreDomain.host == "shop.corner.test"))
        (entry,) = audit("store.domain_added")
        assert entry.store_id == corner and entry.after == {"host": "shop.corner.test"}
    removed = owner.post(f"/admin/settings/domains/{domain_id}/remove")
    assert removed.status_code == 303
    assert "Corner Shop" not in text(shopper.get("/", headers={"Host": "shop.corner.test"}))
    with app.app_context():
        assert db.session.get(StoreDomain, domain_id) is None
        (entry,) = audit("store.domain_removed")
        assert entry.before == {"host": "shop.corner.test"}
    assert owner.post(f"/admin/settings/domains/{domain_id}/remove").status_code == 404


@pytest.mark.parametrize(("host", "message"), [
    (CORNER_HOST, "already belongs to a store"),
    ("CORNER.example.com", "already belongs to a store"),
    ("https://shop.example.com", "without http://"),
    ("shop.example.com:8443", "without http://"),
    ("shop.example.com/path", "without http://"),
    ("not a host", "is not a host name"),
    ("-bad-.example.com", "is not a host name"),
    ("corner.localhost", "local address"),
    ("", "This field is required."),
])
def test_a_refused_domain_is_explained_and_nothing_changes(app, people, corner, host, message):
    with app.app_context():
        before = db.session.scalar(select(func.count(StoreDomain.id)))
    refused = people["owner"].post("/admin/settings/domains", data={"host": host})
    assert refused.status_code == 422
    assert message in text(refused).replace("&#39;", "'")
    assert 'aria-invalid="true"' in text(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count(StoreDomain.id))) == before
        assert not audit("store.domain_added")


def test_create_store_refuses_a_host_with_a_scheme(app):
    result = create_store(app, "corner", "--name", "Corner", "--domain", "https://c.example")
    assert result.exit_code != 0 and "without http://" in result.output


# --- payment keys -----------------------------------------------------------------------------


def keys(**changes) -> dict:
    return {"secret_key": SECRET, "publishable_key": PUBLISHABLE, "webhook_secret": WEBHOOK,
            **changes}


def stored_keys(store_id: int = 1) -> tuple:
    store = db.session.get(Store, store_id)
    return store.stripe_secret_key, store.stripe_publishable_key, store.stripe_webhook_secret


def test_an_owner_sets_the_keys_and_sees_them_masked(app, people):
    owner = people["owner"]
    assert "demo payments" in text(owner.get("/admin/settings/payments"))
    assert owner.post("/admin/settings/payments", data=keys()).status_code == 303
    page = text(owner.get("/admin/settings/payments"))
    assert "sk_live_…4242" in page and "whsec_…9876" in page and "live" in page
    assert SECRET not in page and WEBHOOK not in page
    assert PUBLISHABLE in page  # public by design, and editable
    with app.app_context():
        assert stored_keys() == (SECRET, PUBLISHABLE, WEBHOOK)
        # This process takes Stripe payments with the new keys at once.
        assert payments.stripe_keys().secret == SECRET
        (entry,) = audit("store.payment_keys_updated")
        recorded = repr((entry.summary, entry.before, entry.after))
        assert SECRET not in recorded and WEBHOOK not in recorded
        assert entry.after["secret_key"] == "sk_live_…4242"


def test_an_empty_secret_field_keeps_the_stored_secret(app, people):
    owner = people["owner"]
    owner.post("/admin/settings/payments", data=keys())
    new_publishable = "pk_live_anotherpublishablekey"
    answer = owner.post("/admin/settings/payments",
                        data=keys(secret_key="", webhook_secret="",
                                  publishable_key=new_publishable))
    assert answer.status_code == 303
    with app.app_context():
        assert stored_keys() == (SECRET, new_publishable, WEBHOOK)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"secret_key": "pk_live_abc"}, "secret_key", "A secret key starts with sk_live_"),
    ({"secret_key": "sk_live_"}, "secret_key", "A secret key starts with sk_live_"),
    ({"secret_key": "sk_live_abc"}, "secret_key", "copy it whole"),
    ({"secret_key": ""}, "secret_key", "Enter the secret key"),
    ({"publishable_key": "sk_live_abc"}, "publishable_key", "starts with pk_live_ or pk_test_"),
    ({"publishable_key": "pk_test_abc"}, "publishable_key", "both must be test keys or both"),
    ({"publishable_key": ""}, "publishable_key", "Enter the publishable key"),
    ({"webhook_secret": "secret"}, "webhook_secret", "starts with whsec_"),
    ({"webhook_secret": ""}, "webhook_secret", "Enter the webhook signing secret"),
])
def test_bad_keys_are_explained_and_nothing_is_saved(app, people, changes, field, message):
    refused = people["owner"].post("/admin/settings/payments", data=keys(**changes))
    assert refused.status_code == 422
    page = text(refused)
    assert message in page and f'id="{field}-error"' in page
    assert SECRET not in page and WEBHOOK not in page
    with app.app_context():
        assert stored_keys() == (None, None, None)
        assert not audit("store.payment_keys_updated")


def test_a_restricted_test_key_goes_with_a_test_publishable_key(app, people):
    answer = people["owner"].post("/admin/settings/payments", data=keys(
        secret_key="rk_test_restricted1234", publishable_key="pk_test_abcdef"))
    assert answer.status_code == 303
    assert "rk_test_…1234" in text(people["owner"].get("/admin/settings/payments"))


def test_removing_the_keys_returns_the_store_to_demo_payments(app, people, corner):
    with app.app_context(), tenancy.use_store(corner):
        user_by_email("owner@example.com").role = "owner"
        db.session.commit()
    owner = client_at(app, "owner@example.com", CORNER_HOST)
    owner.post("/admin/settings/payments", data=keys())
    with app.app_context(), tenancy.use_store(corner):
        assert payments.uses_stripe()
    assert owner.post("/admin/settings/payments/remove").status_code == 303
    assert "demo payments" in text(owner.get("/admin/settings/payments"))
    with app.app_context():
        assert stored_keys(corner) == (None, None, None)
        with tenancy.use_store(corner):
            assert not payments.uses_stripe()
        (entry,) = audit("store.payment_keys_removed")
        assert entry.before["secret_key"] == "sk_live_…4242" and SECRET not in repr(entry.before)
        # The default store's keys were never touched.
        assert stored_keys() == (None, None, None)


# --- the migration ----------------------------------------------------------------------------


def test_the_migration_makes_each_stores_earliest_active_admin_its_owner(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'owners.db'}", tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision="0013_analyze_after_stores")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO store (id, slug, is_default, order_prefix, next_order_number, "
                "created_at) VALUES (2, 'corner', 0, 'CS', 10001, CURRENT_TIMESTAMP)"))
            for n, (email, active) in enumerate([("first@x.com", True), ("second@x.com", True),
                                                 ("gone@x.com", False), ("clerk@x.com", True),
                                                 ("later@x.com", True)], start=1):
                connection.execute(sa.text(
                    "INSERT INTO user_account (id, email, name, password_hash, active, "
                    "session_token, created_at, is_platform_owner) VALUES (:id, :email, '', "
                    "'!', :active, :token, CURRENT_TIMESTAMP, 0)"),
                    {"id": n, "email": email, "active": active, "token": f"t{n}"})
            for user_id, store_id, role, joined in [
                    (2, 1, "admin", "2026-01-02"), (1, 1, "admin", "2026-01-01"),
                    (4, 1, "staff", "2025-01-01"),
                    (3, 2, "admin", "2026-01-01"), (5, 2, "admin", "2026-03-01")]:
                connection.execute(sa.text(
                    "INSERT INTO store_membership (user_id, store_id, role, created_at) "
                    "VALUES (:user, :store, :role, :joined)"),
                    {"user": user_id, "store": store_id, "role": role, "joined": joined})
        flask_migrate.upgrade(revision="0014_store_owner")

        def roles() -> dict:
            with db.engine.connect() as connection:
                return {(store, user): role for store, user, role in connection.execute(
                    sa.text("SELECT store_id, user_id, role FROM store_membership"))}

        # The earliest admin of the default store; in the corner the earliest with an active
        # account (a deactivated owner could not sign in).
        assert roles() == {(1, 1): "owner", (1, 2): "admin", (1, 4): "staff",
                           (2, 3): "admin", (2, 5): "owner"}
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO staff_invite (email, role, token_hash, created_at, expires_at, "
                "store_id) VALUES ('new@x.com', 'owner', 'h', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 1)"))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE store_membership SET role = 'wizard' WHERE user_id = 4"))
        flask_migrate.downgrade(revision="0013_analyze_after_stores")
        assert set(roles().values()) == {"admin", "staff"}
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE store_membership SET role = 'owner' WHERE user_id = 4"))
        db.engine.dispose()
