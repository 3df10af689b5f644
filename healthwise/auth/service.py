"""People and their sessions: create accounts, check passwords, sign in and out.

Who reaches what is decided in :mod:`healthwise.access.service`. Services only flush;
the view (or CLI command) that calls them commits once.
"""

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from healthwise.access.service import Role
from healthwise.auth.models import User, UserSession
from healthwise.extensions import db
from healthwise.facilities.models import District
from healthwise.timeutil import utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# A signed-in browser stays signed in for a working day at most.
SESSION_LIFETIME = timedelta(hours=12)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """An account that cannot be created or changed as asked; the message says why."""


class PasswordLengthError(AccountError):
    """A password shorter than :data:`MIN_PASSWORD_LENGTH` or longer than the most allowed.

    :param too_short: whether it is too short (else too long).
    """

    def __init__(self, too_short: bool) -> None:
        self.too_short = too_short
        super().__init__(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters." if too_short
            else f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


class WrongPasswordError(AccountError):
    """The current password given to change it is not the account's."""

    def __init__(self) -> None:
        super().__init__("The current password is wrong.")


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest of a token, code or session id.

    They are random with at least 40 bits (codes, which also expire and are
    rate-limited) or 256 bits (tokens, sessions), so a salt would add nothing.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Return an email address in its stored form: trimmed, lower case."""
    return email.strip().lower()


# People -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return the scrypt hash of a password.

    :raises PasswordLengthError: if the password is shorter than :data:`MIN_PASSWORD_LENGTH`
        or longer than :data:`MAX_PASSWORD_LENGTH`.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise PasswordLengthError(too_short=len(password) < MIN_PASSWORD_LENGTH)
    return generate_password_hash(password, method="scrypt")


def create_user(email: str, password: str, role: str,
                district_ids: Iterable[int] = ()) -> User:
    """Create a person who signs in with a password.

    :param email: their address, used to sign in (stored in lower case).
    :param password: at least :data:`MIN_PASSWORD_LENGTH` characters; stored as a scrypt hash.
    :param role: ``admin``, ``manager`` or ``trainer``.
    :param district_ids: the districts a manager looks after (one or more; managers only).
    :raises AccountError: on a bad address, a taken address, a short password, an unknown
        role or district, or districts given to a role that has none.
    """
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"'{email}' is not an email address.")
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role '{role}': use admin, manager or trainer.")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"There is already an account for {email}.")
    wanted = sorted(set(district_ids))
    districts = list(db.session.scalars(select(District).where(District.id.in_(wanted))))
    missing = sorted(set(wanted) - {d.id for d in districts})
    if missing:
        raise AccountError(f"There is no district {', '.join(map(str, missing))}.")
    if role == Role.MANAGER and not districts:
        raise AccountError("A manager needs at least one district (--district ID).")
    if role != Role.MANAGER and districts:
        raise AccountError("Only managers have districts: an admin reaches every district, "
                           "a trainer none.")
    user = User(email=email, password_hash=hash_password(password), role=role,
                districts=districts)
    db.session.add(user)
    db.session.flush()
    return user


def all_users() -> list[User]:
    """Return every person who can sign in, by id."""
    return list(db.session.scalars(
        select(User).options(selectinload(User.districts)).order_by(User.id)))


def find_user(email: str) -> User | None:
    """Return the person with this email address (any case), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User | None:
    """Return the person with this id, or None."""
    return db.session.get(User, user_id)


# Passwords ----------------------------------------------------------------------------------


def change_password(user: User, current: str, new: str, keep: UserSession | None) -> int:
    """Change a person's own password, and sign them out everywhere else.

    :param current: the password they have now.
    :param new: the new one, within the same length rules as at creation.
    :param keep: the session they change it from, which goes on.
    :returns: how many other sessions ended.
    :raises WrongPasswordError: if ``current`` is not their password.
    :raises PasswordLengthError: if ``new`` is too short or too long.
    """
    if len(current) > MAX_PASSWORD_LENGTH or not check_password_hash(user.password_hash,
                                                                     current):
        raise WrongPasswordError
    return set_password(user, new, keep)


def set_password(user: User, password: str, keep: UserSession | None = None) -> int:
    """Give a person a new password and end their sessions, all but ``keep``.

    :returns: how many sessions ended.
    :raises PasswordLengthError: if the password is too short or too long.
    """
    user.password_hash = hash_password(password)
    return end_sessions(user, keep)


def reset_password(user: User, keep: UserSession | None = None) -> str:
    """Give a person a new random password (an admin tells them); end their sessions.

    :param keep: a session that goes on (the admin's own, when they reset theirs).
    :returns: the new password, which is stored only as a hash: show it once.
    """
    password = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
    set_password(user, password, keep)
    return password


#: The demo data's district manager (``healthwise init`` on an empty database).
DEMO_MANAGER_EMAIL = "manager@demo.local"


def demo_manager_password(secret_key: str) -> str:
    """Return the demo manager's password, derived from the instance's secret key.

    The database keeps only its hash; the same key gives the same password again
    (``healthwise user demo-password``), so it is never written down in plain text.
    HMAC with a label of its own: the password tells nothing of the key.

    :param secret_key: the app's ``SECRET_KEY``.
    """
    digest = hmac.new(secret_key.encode(), b"healthwise demo manager password",
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


def create_demo_manager(district_id: int, secret_key: str) -> tuple[User, str]:
    """Create the demo district manager; return them with their password.

    :param district_id: the demo district.
    :param secret_key: the app's ``SECRET_KEY``, which the password is derived from.
    """
    password = demo_manager_password(secret_key)
    return create_user(DEMO_MANAGER_EMAIL, password, "manager", [district_id]), password


def recover_demo_password(secret_key: str) -> str:
    """Return the demo manager's password again.

    :param secret_key: the app's ``SECRET_KEY``.
    :raises AccountError: if there is no demo manager, or their password is no longer
        the one derived from this key (changed since, or another key).
    """
    user = find_user(DEMO_MANAGER_EMAIL)
    if user is None:
        raise AccountError(f"There is no demo manager ({DEMO_MANAGER_EMAIL}) in this database.")
    password = demo_manager_password(secret_key)
    if not check_password_hash(user.password_hash, password):
        raise AccountError(
            f"The password of {DEMO_MANAGER_EMAIL} was changed, or the secret key is not the "
            f"one it was made with. Set a new one with: healthwise user reset-password "
            f"--email {DEMO_MANAGER_EMAIL}")
    return password


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """Return the user with this email and password, or None.

    An unknown address costs the same scrypt work as a wrong password, so the
    time taken does not tell which addresses have accounts.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_decoy_hash(), password[:MAX_PASSWORD_LENGTH])
        return None
    return user if check_password_hash(user.password_hash, password) else None


# Sessions -----------------------------------------------------------------------------------


def start_session(user: User) -> tuple[UserSession, str]:
    """Sign a user in: create a session row and return it with the id for the cookie.

    Expired sessions of the same user are deleted on the way.
    """
    now = utcnow()
    db.session.execute(
        UserSession.__table__.delete().where(UserSession.user_id == user.id,
                                             UserSession.expires_at <= now))
    raw = secrets.token_urlsafe(32)  # 256 random bits
    row = UserSession(token_hash=hash_secret(raw), user_id=user.id, created_at=now,
                      expires_at=now + SESSION_LIFETIME)
    user.last_sign_in_at = now
    db.session.add(row)
    db.session.flush()
    return row, raw


def find_session(raw: str | None) -> UserSession | None:
    """Return the live session with this id, or None (unknown, ended or expired)."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_secret(raw)))
    return row if row is not None and row.expires_at > utcnow() else None


def end_session(row: UserSession) -> None:
    """Sign out: delete the session row, so its cookie is worthless from now on."""
    db.session.delete(row)
    db.session.flush()


def end_sessions(user: User, keep: UserSession | None = None) -> int:
    """End every session of a person (signed out everywhere), all but ``keep``.

    :returns: how many ended.
    """
    query = UserSession.__table__.delete().where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query).rowcount
    db.session.flush()
    return ended

