"""People, sessions, device tokens and enrolment codes: create, verify, scope, revoke.

Who reaches what is decided here and nowhere else: a committee phone its facility, a
workshop participant its workshop's practice facility, a district manager the
facilities of their districts, a trainer their workshops, an admin every district and
every workshop.

Services only flush; the view (or CLI command) that calls them commits once.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Select, false, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from healthwise.assessments.service import Scope
from healthwise.auth.models import DeviceToken, EnrolmentCode, Role, User, UserSession
from healthwise.database import hold_writer_gate
from healthwise.districts.models import District, Facility
from healthwise.extensions import db
from healthwise.timeutil import utcnow
from healthwise.workshops.models import Workshop

# No 0/O, 1/I/L: codes are read aloud in workshops and typed on small keyboards.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_PREFIX = "hw_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# A signed-in browser stays signed in for a working day at most.
SESSION_LIFETIME = timedelta(hours=12)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Ids from URLs are checked against the column range first: PostgreSQL refuses to compare
# an INTEGER column with a bigger number (a 500), where "no such thing" is the answer.
MAX_ID = 2**31 - 1


class CodeError(Exception):
    """An enrolment code that cannot be redeemed; ``code`` says why."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class AccountError(ValueError):
    """An account that cannot be created or changed as asked; the message says why."""


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest of a token, code or session id.

    They are random with at least 40 bits (codes, which also expire and are
    rate-limited) or 256 bits (tokens, sessions), so a salt would add nothing.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Return an enrolment code in its stored form: upper case, no separators."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


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


# What a person reaches ----------------------------------------------------------------------


def facilities_query(user: User) -> Select:
    """Return a query of the district facilities a user may see and manage, by district and name.

    An admin reaches every facility of every district, a manager those of their districts,
    a trainer none. Workshops' practice facilities belong to no district and are never
    here, not even for an admin: they are reached through their workshop.
    """
    query = (select(Facility).join(Facility.district)  # inner: no practice facility
             .order_by(District.name, Facility.name))
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.MANAGER:
        return query.where(Facility.district_id.in_([d.id for d in user.districts]))
    return query.where(false())


def workshops_query(user: User) -> Select:
    """Return a query of the workshops a user may see and manage, newest first.

    A trainer reaches their own workshops, an admin every workshop, a manager none.
    """
    query = select(Workshop).order_by(Workshop.starts_on.desc(), Workshop.id.desc())
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.TRAINER:
        return query.where(Workshop.trainer_id == user.id)
    return query.where(false())


def districts_of(user: User) -> list[District]:
    """Return the districts a user may see, by name."""
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(District).order_by(District.name)))
    if user.role == Role.MANAGER:
        return list(user.districts)
    return []


def reachable_facility(user: User, facility_id: int) -> Facility | None:
    """Return the facility if the user may manage it, else None (as if it did not exist)."""
    if not 0 < facility_id <= MAX_ID:
        return None
    return db.session.scalar(facilities_query(user).where(Facility.id == facility_id))


def reachable_workshop(user: User, workshop_id: int) -> Workshop | None:
    """Return the workshop if the user may manage it, else None (as if it did not exist)."""
    if not 0 < workshop_id <= MAX_ID:
        return None
    return db.session.scalar(workshops_query(user).where(Workshop.id == workshop_id))


def workshop_of(facility_id: int) -> Workshop | None:
    """Return the workshop whose practice facility this is, or None (a district facility)."""
    return db.session.scalar(select(Workshop).where(Workshop.facility_id == facility_id))


def manages_phones_of(user: User, facility_id: int) -> bool:
    """Return True if the user may create codes for and revoke the phones of a facility:
    one of their districts' facilities, or the practice facility of one of their workshops.
    """
    if reachable_facility(user, facility_id) is not None:
        return True
    return db.session.scalar(workshops_query(user).where(Workshop.facility_id == facility_id)
                             .with_only_columns(Workshop.id)) is not None


def reachable_district(user: User, district_id: int) -> District | None:
    """Return the district if the user may see it, else None (as if it did not exist)."""
    return next((d for d in districts_of(user) if d.id == district_id), None)


def reachable_device(user: User, token_id: int) -> DeviceToken | None:
    """Return a device token the user may revoke: a phone of a facility they manage or of
    one of their workshops, or one of their own tokens (an admin: any token). Else None."""
    token = db.session.get(DeviceToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None:
        return None
    if user.role == Role.ADMIN or token.user_id == user.id:
        return token
    if token.facility_id is not None and manages_phones_of(user, token.facility_id):
        return token
    return None


def reachable_code(user: User, code_id: int) -> EnrolmentCode | None:
    """Return an enrolment code of a facility or workshop the user manages, else None."""
    code = db.session.get(EnrolmentCode, code_id) if 0 < code_id <= MAX_ID else None
    if code is None or not manages_phones_of(user, code.facility_id):
        return None
    return code


# Device tokens ------------------------------------------------------------------------------


def _new_token(**owner) -> tuple[DeviceToken, str]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    token = DeviceToken(token_hash=hash_secret(secret), **owner)
    db.session.add(token)
    db.session.flush()
    return token, secret


def create_device_token(facility_id: int, name: str = "") -> tuple[DeviceToken, str]:
    """Create a facility-scoped device token; return it and its secret (shown once).

    :param facility_id: the facility the phone belongs to.
    :param name: a label, e.g. "Nurse Ana's phone".
    :raises LookupError: if the facility does not exist.
    """
    if db.session.get(Facility, facility_id) is None:
        raise LookupError(f"no facility {facility_id}")
    return _new_token(facility_id=facility_id, name=name[:100])


def create_user_token(user: User, name: str = "") -> tuple[DeviceToken, str]:
    """Create a manager's or an admin's API token; return it and its secret (shown once).

    It opens the managers' API only (summaries, read only; the phones' API refuses it),
    over every facility of the manager's districts as they are when it is used (see
    :func:`scope_of`).

    :raises AccountError: for a trainer, who reaches no facility.
    """
    if user.role not in (Role.MANAGER, Role.ADMIN):
        raise AccountError("Only managers and admins have API tokens.")
    return _new_token(user_id=user.id, name=name[:100])


def find_token(secret: str) -> DeviceToken | None:
    """Return the active token with this secret, or None (unknown or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(
        select(DeviceToken).where(DeviceToken.token_hash == hash_secret(secret))
    )
    return token if token is not None and token.active else None


def scope_of(token: DeviceToken) -> Scope:
    """Return what a token may read and write.

    A facility token reaches its facility: a committee phone its own, a workshop
    participant its workshop's practice facility (in no district), through the phones'
    API. A user's token reaches the district facilities that user reaches now (so taking
    a district from a manager takes it from their tokens too), never a workshop, and only
    through the managers' API.
    """
    if token.facility_id is not None:
        return Scope(frozenset({token.facility_id}))
    if token.user is not None:
        ids = db.session.scalars(facilities_query(token.user).with_only_columns(Facility.id))
        return Scope(frozenset(ids))
    return Scope(frozenset())


def revoke(token: DeviceToken) -> None:
    """Revoke a token: from now on it gets 401."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def devices_of(facility_id: int) -> list[DeviceToken]:
    """Return the active device tokens of a facility, most recently seen first."""
    return list(db.session.scalars(
        select(DeviceToken)
        .where(DeviceToken.facility_id == facility_id, DeviceToken.revoked_at.is_(None))
        .order_by(DeviceToken.last_seen_at.desc().nulls_last(), DeviceToken.id.desc())))


def tokens_of(user: User) -> list[DeviceToken]:
    """Return a user's active API tokens, newest first."""
    return list(db.session.scalars(
        select(DeviceToken)
        .where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
        .order_by(DeviceToken.id.desc())))


# Enrolment codes ----------------------------------------------------------------------------


def create_enrolment_code(facility_id: int, uses: int = 30,
                          ttl: timedelta = timedelta(days=7)) -> tuple[EnrolmentCode, str]:
    """Create an enrolment code for a facility; return it and the code to show.

    :param facility_id: the facility the phones will join.
    :param uses: how many phones may redeem it.
    :param ttl: how long it stays valid.
    :raises LookupError: if the facility does not exist.
    """
    if db.session.get(Facility, facility_id) is None:
        raise LookupError(f"no facility {facility_id}")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    code = EnrolmentCode(code_hash=hash_secret(raw), facility_id=facility_id,
                         expires_at=utcnow() + ttl, uses_left=uses)
    db.session.add(code)
    db.session.flush()
    return code, f"{raw[:4]}-{raw[4:]}"


def codes_of(facility_id: int) -> list[EnrolmentCode]:
    """Return the enrolment codes of a facility that can still be redeemed, newest first."""
    return list(db.session.scalars(
        select(EnrolmentCode)
        .where(EnrolmentCode.facility_id == facility_id, EnrolmentCode.uses_left > 0,
               EnrolmentCode.expires_at > utcnow())
        .order_by(EnrolmentCode.id.desc())))


def end_code(code: EnrolmentCode) -> None:
    """Stop a code from being redeemed again (phones that joined keep their tokens)."""
    code.uses_left = 0
    db.session.flush()


def redeem_code(raw: str, device_name: str) -> tuple[DeviceToken, str]:
    """Redeem an enrolment code for a new device token.

    One use is taken by a single conditional ``UPDATE``, so two phones redeeming the
    last use at once cannot both get it, on SQLite (which has no ``SELECT ... FOR
    UPDATE``) as on PostgreSQL, across every worker.

    :raises CodeError: unknown (404), expired or used up (410).
    """
    code_hash = hash_secret(normalise_code(raw))
    hold_writer_gate()
    now = utcnow()
    taken = db.session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == code_hash, EnrolmentCode.uses_left > 0,
               EnrolmentCode.expires_at >= now)
        .values(uses_left=EnrolmentCode.uses_left - 1)
        .returning(EnrolmentCode.facility_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if taken is None:
        code = db.session.scalar(select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash))
        if code is None:
            raise CodeError("unknown_code", "This enrolment code is not valid. Check it and "
                                            "try again.", 404)
        if code.expires_at < now:
            raise CodeError("code_expired", "This enrolment code has expired. Ask for a new "
                                            "one.", 410)
        raise CodeError("code_used_up", "This enrolment code has been used by as many phones "
                                        "as allowed. Ask for a new one.", 410)
    return create_device_token(taken, device_name)
