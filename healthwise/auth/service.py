"""People and their sessions: create accounts, check passwords, sign in and out.

Who reaches what is decided in :mod:`healthwise.access.service`. Services only flush;
the view (or CLI command) that calls them commits once.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select
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

    :raises AccountError: if the password is shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
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
    return list(db.session.scalars(select(User).order_by(User.id)))


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

