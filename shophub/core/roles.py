"""Staff roles of one store and what each may do: the one home of the rank and grant rules.

customer < staff < admin < owner. Staff run the shop (orders, catalog, customers, coupons);
admins also manage the staff and the store's settings; owners also hold the store's payment
keys and domains, and are the only ones who grant or take away the owner role. A higher role
passes every check of a lower one. A platform owner acts as an owner in every store.
"""

CUSTOMER = "customer"
STAFF = "staff"
ADMIN = "admin"
OWNER = "owner"
ROLES = (CUSTOMER, STAFF, ADMIN, OWNER)
STAFF_ROLES = (STAFF, ADMIN, OWNER)
ROLE_LABELS = {CUSTOMER: "Customer", STAFF: "Staff", ADMIN: "Admin", OWNER: "Owner"}
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def acting_role(role: str, is_platform_owner: bool = False) -> str:
    """The role someone acts with in a store: their own there, or owner for a platform owner."""
    return OWNER if is_platform_owner else role


def at_least(role: str, needed: str) -> bool:
    """Whether `role` may do everything `needed` may (an owner passes every admin check)."""
    return _RANK.get(role, -1) >= _RANK[needed]


def may_manage(actor: str, target: str) -> bool:
    """Whether someone acting as `actor` may deactivate, reactivate or change the role of an
    account whose role in the store is `target`."""
    if target == OWNER:
        return actor == OWNER
    if target == CUSTOMER:
        return at_least(actor, STAFF)
    return at_least(actor, ADMIN)


def may_assign(actor: str, old: str, new: str) -> bool:
    """Whether `actor` may move an account from role `old` to role `new` (or invite as `new`
    when `old` is customer): admins move people among customer, staff and admin, and only
    owners give or take the owner role."""
    return (new in ROLES and at_least(actor, ADMIN) and may_manage(actor, old)
            and may_manage(actor, new))


def assignable(actor: str) -> tuple[str, ...]:
    """The roles `actor` may give, in rank order."""
    return tuple(role for role in ROLES if may_assign(actor, CUSTOMER, role))
