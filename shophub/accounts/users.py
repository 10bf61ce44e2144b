"""Accounts: registration, credentials, passwords, profiles and roles."""

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from shophub.core import roles
from shophub.extensions import db
from shophub.models import StoreMembership, User
from shophub.models.users import new_session_token
from shophub.platform import tenancy

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
COMMON_PASSWORDS = frozenset(
    {
        "password123", "password1234", "1234567890", "12345678910", "qwertyuiop",
        "iloveyou123", "passw0rd123", "letmein1234", "welcome123", "administrator",
        "abcdefghij", "0123456789", "qwerty12345", "football123", "monkey12345",
    }
)
# Checked against when the email is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is for the user.

    `field` names the form field the message belongs to.
    """

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(raw: str) -> str:
    """Validate an email address and return its canonical, lower-case form."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(f"That email address is not valid: {error}") from error
    return result.normalized.lower()


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password (an empty list when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"Use at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"Use at most {PASSWORD_MAX_LENGTH} characters.")
    if password and len(set(password)) < 4:
        problems.append("Use more than three different characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered == email.lower()):
        problems.append("That password is too easy to guess.")
    return problems


def hash_password(password: str) -> str:
    """Hash with scrypt (Werkzeug's default key derivation function)."""
    return generate_password_hash(password, method="scrypt")


def find_by_email(email: str) -> User | None:
    """The user with this (already normalised) email, if any."""
    return db.session.scalar(select(User).where(User.email == email))


def register(email: str, password: str, name: str = "", role: str = "customer") -> User:
    """Create an account; raises AccountError on a taken email or a weak password."""
    email = normalise_email(email)
    problems = password_problems(password, email)
    if problems:
        raise AccountError(" ".join(problems), field="password")
    if find_by_email(email) is not None:
        raise AccountError("An account with this email already exists. Log in instead?")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (timing does not reveal which failed)."""
    try:
        email = normalise_email(email)
    except AccountError:
        check_password_hash(_DUMMY_HASH, password)
        return None
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    """Note the time of a successful login."""
    user.last_login_at = datetime.now(UTC)


def set_password(user: User, password: str) -> None:
    """Store a new password and end every other session of the user."""
    problems = password_problems(password, user.email)
    if problems:
        raise AccountError(" ".join(problems), field="password")
    user.password_hash = hash_password(password)
    end_every_session(user)


def end_every_session(user: User) -> None:
    """End every login session of the user, on every device (not committed)."""
    user.session_token = new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct.", field="current")
    set_password(user, new)


def update_profile(user: User, name: str, email: str) -> None:
    """Change a user's name and email (the email stays unique)."""
    email = normalise_email(email)
    if email != user.email:
        taken = db.session.scalar(
            select(func.count()).select_from(User).where(User.email == email, User.id != user.id)
        )
        if taken:
            raise AccountError("Another account already uses this email.")
        user.email = email
    user.name = name.strip()


def make_admin(email: str, password: str | None, owner: bool = False) -> tuple[User, bool]:
    """Create an admin (or an owner) of the current store, or promote an existing user, never
    lowering an owner; returns the user and whether it is new."""
    email = normalise_email(email)
    role = roles.OWNER if owner else roles.ADMIN
    user = find_by_email(email)
    if user is None:
        if password is None:
            raise AccountError("A new admin needs a password.")
        return register(email, password, role=role), True
    if not roles.at_least(user.role, role):
        user.role = role
    user.active = True
    if password:
        set_password(user, password)
    return user, False


def store_has_owner() -> bool:
    """Whether the current store has an owner on its staff."""
    return db.session.scalar(select(StoreMembership.id).where(
        StoreMembership.role == roles.OWNER).limit(1)) is not None


def load_session_user(session_token: str) -> User | None:
    """The active user a login session belongs to (Flask-Login's user loader).

    A deactivated user's sessions end at their next request. The user comes with every
    store's memberships (their role here, and the stores the admin's switcher lists).
    """
    return db.session.scalars(tenancy.across_stores(
        select(User).options(joinedload(User.memberships))
        .where(User.session_token == session_token, User.active.is_(True))
    )).unique().first()
