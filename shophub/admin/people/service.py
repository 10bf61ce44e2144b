"""People in the back office: staff invites, roles, deactivating and reactivating accounts."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from shophub.accounts import users
from shophub.core import roles
from shophub.core.numbers import parse_whole
from shophub.core.paging import Page, page_at, page_number
from shophub.core.text import single_line
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import Address, Cart, Order, StaffInvite, StoreMembership, User, WishlistItem
from shophub.models.users import ROLES, new_session_token
from shophub.platform import audit, jobs, tenancy
from shophub.platform.links import external_url

INVITE_HOURS = 72
INVITE_ROLES = roles.STAFF_ROLES
ROLE_LABELS = roles.ROLE_LABELS
# Net spend counts what was paid and not given back, as on the dashboard.
PAID = (Order.paid_at.is_not(None),)
CUSTOMER_SORTS = {
    "name": "Name", "email": "Email", "joined": "Joined", "orders": "Orders",
    "spent": "Total spent",
}
PAGE_SIZES = (25, 50, 100)
CHOOSE_A_ROLE = "Choose customer, staff, admin or owner."
MAX_PAGE = 100_000  # a larger page number is page 1


class StaffError(ValueError):
    """A change to an account that is not allowed; the message is for the person asking."""


class InviteError(ValueError):
    """An invite link that cannot be used; `status` is 404 (unknown) or 410 (used, expired)."""

    def __init__(self, message: str, status: int = 410) -> None:
        super().__init__(message)
        self.status = status


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_state(user: User) -> dict:
    return {"email": user.email, "role": user.role, "active": user.active}


# --- Customers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerQuery:
    """A checked request for the customer list."""

    q: str = ""
    active: str = ""  # "", "yes" or "no"
    role: str = "customer"  # a role, or "" for every account
    sort: str = "joined"
    direction: str = "desc"
    page: int = 1
    per_page: int = PAGE_SIZES[0]

    def args(self, **changes) -> dict:
        """Query-string arguments for a link to this list with `changes` applied."""
        values = {"q": self.q, "active": self.active, "role": self.role, "sort": self.sort,
                  "dir": self.direction, "per_page": self.per_page, "page": self.page}
        values.update(changes)
        # An empty role means "every account" and must survive (it defaults to customers).
        return {key: value for key, value in values.items()
                if key == "role" or value not in ("", None)}


def customer_query(args) -> CustomerQuery:
    """Read the customer list's query string; anything unknown falls back to a default."""
    role = (args.get("role", "customer") or "").strip()
    sort = (args.get("sort") or "").strip()
    per_page = parse_whole(args.get("per_page"))
    return CustomerQuery(
        q=single_line(args.get("q"), 120),
        active=args.get("active") if args.get("active") in ("yes", "no") else "",
        role=role if role in ROLES else "",
        sort=sort if sort in CUSTOMER_SORTS else "joined",
        direction="asc" if args.get("dir") == "asc" else "desc",
        page=page_number(args.get("page"), high=MAX_PAGE),
        per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[0],
    )


@dataclass(frozen=True)
class CustomerRow:
    """One account in the list with its paid order count and net spend."""

    user: User
    orders: int
    spent_cents: int


@dataclass(frozen=True, kw_only=True)
class CustomerPage(Page):
    """One page of the customer list."""

    rows: list[CustomerRow]


def _spend_by_user():
    return (
        select(Order.user_id.label("user_id"), func.count(Order.id).label("orders"),
               func.sum(Order.total_cents - Order.refunded_cents).label("spent"))
        .where(Order.user_id.is_not(None), *PAID)
        .group_by(Order.user_id)
        .subquery()
    )


def _known_here(store_id: int) -> ColumnElement[bool]:
    """Whether an account came to the store: signed up there, or has an order, a cart, a
    wishlist or a role there."""
    # Accounts are shared by every store; a store's staff see and manage only those that came
    # to their store. The store is named here, not left to the scoping hook, because the
    # rule is about other stores' rows too.
    return or_(User.signed_up_store_id == store_id,
               *(exists().where(model.user_id == User.id, model.store_id == store_id)
                 for model in (Order, Cart, WishlistItem, StoreMembership)))


def _known_elsewhere(user_id: int, store_id: int) -> bool:
    """Whether the account has dealt with any other store."""
    signed_up = db.session.scalar(select(User.signed_up_store_id).where(User.id == user_id))
    return signed_up not in (None, store_id) or any(db.session.scalar(tenancy.across_stores(
        select(model.id).where(model.user_id == user_id, model.store_id != store_id).limit(1)))
        is not None for model in (Order, Cart, WishlistItem, StoreMembership))


def store_customer(user_id: int) -> User | None:
    """The account, if it has dealt with the current store (else None: it is not ours)."""
    return db.session.scalar(select(User).where(
        User.id == user_id, _known_here(tenancy.current_store_id())))


def customer_page(query: CustomerQuery) -> CustomerPage:
    """Accounts matching the query with their order figures, in two statements."""
    spend = _spend_by_user()
    orders = func.coalesce(spend.c.orders, 0)
    spent = func.coalesce(spend.c.spent, 0)
    conditions = [_known_here(tenancy.current_store_id())]
    if query.q:
        pattern = f"%{query.q}%"
        conditions.append(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    if query.active:
        conditions.append(User.active.is_(query.active == "yes"))
    if query.role:
        conditions.append(User.role == query.role)
    total = db.session.scalar(select(func.count(User.id)).where(*conditions)) or 0
    window = page_at(query.page, total, query.per_page)
    column = {"name": func.lower(User.name), "email": User.email, "joined": User.created_at,
              "orders": orders, "spent": spent}[query.sort]
    ordering = column.asc() if query.direction == "asc" else column.desc()
    statement = (
        select(User, orders, spent)
        .options(selectinload(User.memberships))
        .outerjoin(spend, spend.c.user_id == User.id)
        .where(*conditions)
        .order_by(ordering, User.id)
        .offset(window.offset)
        .limit(window.limit)
    )
    rows = [CustomerRow(user, int(count), int(total_spent))
            for user, count, total_spent in db.session.execute(statement)]
    return CustomerPage.of(window, rows=rows)


@dataclass(frozen=True)
class CustomerDetail:
    """An account with its orders, addresses and totals."""

    user: User
    orders: list[Order]
    order_count: int
    paid_orders: int
    spent_cents: int
    addresses: list[Address]


RECENT_ORDERS = 50


def customer_detail(user_id: int) -> CustomerDetail | None:
    """The account page's figures, or None when there is no such account in this store."""
    user = store_customer(user_id)
    if user is None:
        return None
    count, paid, spent = db.session.execute(
        select(func.count(Order.id),
               func.count(Order.paid_at),
               func.coalesce(func.sum(Order.total_cents - Order.refunded_cents)
                             .filter(*PAID), 0))
        .where(Order.user_id == user.id)
    ).one()
    orders = list(db.session.scalars(
        select(Order).where(Order.user_id == user.id)
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(RECENT_ORDERS)
    ))
    addresses = list(db.session.scalars(
        select(Address).where(Address.user_id == user.id).order_by(Address.id)))
    return CustomerDetail(user=user, orders=orders, order_count=int(count), paid_orders=int(paid),
                          spent_cents=int(spent), addresses=addresses)


# --- Deactivating, reactivating, roles --------------------------------------------------------


def _other_active(user: User, *held: str) -> int:
    # FOR UPDATE on PostgreSQL: two admins demoting each other at once queue up here, so one
    # of them always stays (SQLite serialises writers anyway and ignores the clause).
    ids = db.session.scalars(
        select(User.id).where(User.role.in_(held), User.active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    return len(ids)


def _last_in_charge(user: User) -> str | None:
    """Why the account may not stop being what it is (an active owner or admin), if so.

    A store keeps at least one active owner; a store that has none (created without one)
    keeps at least one active admin. Only its members count, not platform owners.
    """
    if not user.active:
        return None
    if user.role == roles.OWNER and _other_active(user, roles.OWNER) == 0:
        return "the last active owner; make someone else an owner first."
    if user.role == roles.ADMIN and _other_active(user, roles.ADMIN, roles.OWNER) == 0:
        return "the last active admin; make someone else an admin first."
    return None


def _may_manage(actor: User, user: User) -> None:
    if not actor.may_manage(user):
        if user.role == roles.OWNER:
            raise StaffError("Only an owner can change an owner's account.")
        raise StaffError("Only an admin can change a staff or admin account.")


def _may_switch(actor: User, user: User) -> None:
    # Deactivation is the account's, in every store: a store may do it only to an account
    # that came to no other store, unless a platform owner does it.
    if not actor.is_platform_owner and _known_elsewhere(user.id, tenancy.current_store_id()):
        raise StaffError(f"{user.email} is also a customer of another store; only a platform "
                         "owner can deactivate or reactivate the account.")


def deactivate(actor: User, user: User) -> None:
    """Deactivate an account and end its sessions at their next request (committed)."""
    _may_manage(actor, user)
    _may_switch(actor, user)
    if user.id == actor.id:
        raise StaffError("You cannot deactivate your own account.")
    if not user.active:
        raise StaffError(f"{user.email} is already deactivated.")
    last = _last_in_charge(user)
    if last:
        db.session.rollback()
        raise StaffError(f"This is {last}")
    before = _account_state(user)
    user.active = False
    user.session_token = new_session_token()
    audit.record("user.deactivated", "user", user.id, f"Deactivated {user.email}",
                 before=before, after=_account_state(user))
    db.session.commit()


def reactivate(actor: User, user: User) -> None:
    """Let a deactivated account log in again (committed)."""
    _may_manage(actor, user)
    _may_switch(actor, user)
    if user.active:
        raise StaffError(f"{user.email} is already active.")
    before = _account_state(user)
    user.active = True
    audit.record("user.reactivated", "user", user.id, f"Reactivated {user.email}",
                 before=before, after=_account_state(user))
    db.session.commit()


def change_role(actor: User, user: User, role: str) -> None:
    """Give an account another role; the last active owner (or admin of a store without an
    owner) keeps theirs (committed)."""
    if not actor.can(roles.ADMIN):
        raise StaffError("Only an admin can change roles.")
    if role not in ROLES:
        raise StaffError(CHOOSE_A_ROLE)
    if role == user.role:
        raise StaffError(f"{user.email} is already {ROLE_LABELS[role].lower()}.")
    if not roles.may_assign(actor.acting_role, user.role, role):
        raise StaffError("Only an owner can make someone an owner or change an owner's role.")
    last = _last_in_charge(user)
    if last:
        db.session.rollback()
        who = "You are" if user.id == actor.id else "This is"
        raise StaffError(f"{who} {last}")
    before = _account_state(user)
    user.role = role
    audit.record("user.role_changed", "user", user.id,
                 f"{user.email}: {ROLE_LABELS[before['role']]} → {ROLE_LABELS[role]}",
                 before=before, after=_account_state(user))
    db.session.commit()


def staff_members() -> list[User]:
    """Owners, admins and staff, in that order."""
    rank = case({role: -n for n, role in enumerate(roles.STAFF_ROLES)}, value=User.role)
    return list(db.session.scalars(
        select(User).options(selectinload(User.memberships)).where(User.role.in_(INVITE_ROLES))
        .order_by(rank, func.lower(User.email))
    ))


def assignable_roles(actor: User) -> dict[str, str]:
    """The roles `actor` may give in this store, with their labels."""
    return {role: ROLE_LABELS[role] for role in roles.assignable(actor.acting_role)}


# --- Invites ----------------------------------------------------------------------------------


def open_invites(now: datetime | None = None) -> list[StaffInvite]:
    """Invites not yet accepted and not expired, newest first."""
    now = now or datetime.now(UTC)
    return list(db.session.scalars(
        select(StaffInvite).where(StaffInvite.used_at.is_(None), StaffInvite.expires_at > now)
        .order_by(StaffInvite.id.desc())
    ))


def invite(actor: User, email: str, role: str) -> StaffInvite:
    """Invite someone to the staff by mail; replaces their open invite (committed).

    Raises users.AccountError for a bad email and StaffError for a refused invite.
    """
    email = users.normalise_email(email)
    if role not in INVITE_ROLES:
        raise StaffError("Invite as staff, admin or owner.")
    if not roles.may_assign(actor.acting_role, roles.CUSTOMER, role):
        raise StaffError("Only an owner can invite an owner.")
    existing = users.find_by_email(email)
    if existing is not None and existing.role in INVITE_ROLES:
        raise StaffError(f"{email} is already on the staff; change their role instead.")
    if existing is not None and not existing.active:
        raise StaffError(f"The account {email} is deactivated; reactivate it first.")
    return _send_invite(email, role, actor)


def _send_invite(email: str, role: str, actor: User | None) -> StaffInvite:
    db.session.execute(
        delete(StaffInvite).where(StaffInvite.email == email, StaffInvite.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    record = StaffInvite(email=email, role=role, token_hash=_digest(token),
                         invited_by_id=actor.id if actor else None, created_at=now,
                         expires_at=now + timedelta(hours=INVITE_HOURS))
    db.session.add(record)
    db.session.flush()
    audit.record("staff.invited", "staff_invite", record.id, f"Invited {email} as {role}",
                 after={"email": email, "role": role},
                 actor_label=None if actor else "command line")
    # Keyed by the token, not the row id: SQLite may reuse the id of a replaced invite.
    jobs.queue_mail(
        f"staff-invite:{record.token_hash[:32]}", email, "You are invited to join the staff",
        "staff_invite",
        invite_url=external_url("invites.accept", token=token), role=ROLE_LABELS[role],
        inviter=(actor.name or actor.email) if actor else "The platform's operator",
        hours=INVITE_HOURS, carries_secret=True,
    )
    db.session.commit()
    return record


def owner_email(email: str) -> str:
    """`email` checked as the first owner of a new store; StaffError if it cannot be one."""
    try:
        email = users.normalise_email(email)
    except users.AccountError as error:
        raise StaffError(str(error)) from error
    existing = users.find_by_email(email)
    if existing is not None and not existing.active:
        raise StaffError(f"The account {email} is deactivated; reactivate it first.")
    return email


def appoint_owner(store_id: int, email: str, actor: User | None = None) -> User | None:
    """Make the account `email` an owner of store `store_id`, or, when there is no such
    account, mail it an owner's invite there (committed); returns the account if it exists.

    For a store being created: no check of the actor's role (`actor` is None from the command
    line), so the callers are the platform's own (create-store, /admin/stores).
    """
    email = owner_email(email)
    with tenancy.use_store(store_id):
        user = users.find_by_email(email)
        if user is None:
            _send_invite(email, roles.OWNER, actor)
            return None
        before = _account_state(user)
        user.role = roles.OWNER
        audit.record("user.role_changed", "user", user.id,
                     f"{user.email}: {ROLE_LABELS[before['role']]} → Owner",
                     before=before, after=_account_state(user),
                     actor_label=None if actor else "command line")
        db.session.commit()
        return user


def revoke_invite(invite_id: int) -> StaffInvite | None:
    """Withdraw an open invite (committed); None when there is no open invite with this id."""
    record = db.session.get(StaffInvite, invite_id)
    if record is None or record.used_at is not None:
        return None
    audit.record("staff.invite_revoked", "staff_invite", record.id,
                 f"Withdrew the invite of {record.email}",
                 before={"email": record.email, "role": record.role})
    db.session.delete(record)
    db.session.commit()
    return record


def usable_invite(token: str) -> StaffInvite:
    """The open invite for this link, or InviteError when unknown, used or expired."""
    record = None
    if token and len(token) <= 128:
        record = db.session.scalar(
            select(StaffInvite).where(StaffInvite.token_hash == _digest(token)))
    if record is None:
        raise InviteError("This invite link is not valid. Ask an admin for a new one.", 404)
    if record.used_at is not None:
        raise InviteError("This invite has already been accepted. Log in instead.")
    if as_utc(record.expires_at) <= datetime.now(UTC):
        raise InviteError("This invite has expired. Ask an admin to invite you again.")
    return record


def accept_invite(token: str, name: str, password: str) -> User:
    """Create (or promote) the invitee's account, set its password, spend the invite (committed).

    Raises users.AccountError for a weak password and InviteError when the link cannot be used.
    """
    record = usable_invite(token)
    problems = users.password_problems(password, record.email)
    if problems:
        raise users.AccountError(" ".join(problems), field="password")
    now = datetime.now(UTC)
    # Spent first, conditionally: of two submissions of one link only one gets the row.
    spent = db.session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == record.id, StaffInvite.used_at.is_(None),
               StaffInvite.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise InviteError("This invite has already been accepted or has expired.")
    user = users.find_by_email(record.email)
    if user is None:
        user = users.register(record.email, password, name=name, role=record.role)
        before = None
    else:
        if not user.active:
            db.session.rollback()
            raise InviteError("The account for this email is deactivated. Ask an admin.")
        before = _account_state(user)
        if not roles.at_least(user.role, record.role):  # an invite never lowers a role
            user.role = record.role
        if name.strip():
            user.name = name.strip()
        users.set_password(user, password)
    audit.record("staff.invite_accepted", "user", user.id,
                 f"{user.email} joined the staff as {user.role}",
                 before=before, after=_account_state(user), actor_label=user.email)
    db.session.commit()
    return user
