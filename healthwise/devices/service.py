"""Device tokens and enrolment codes: create, redeem, find, revoke.

Who may revoke which token or end which code is asked of :mod:`healthwise.access.service`.
Services only flush; the view (or CLI command) that calls them commits once.
"""

import secrets
from datetime import date, timedelta

from sqlalchemy import or_, select, update

from healthwise.access import service as access
from healthwise.auth.models import User
from healthwise.auth.service import AccountError, hash_secret
from healthwise.database import hold_writer_gate
from healthwise.devices.models import DeviceToken, EnrolmentCode
from healthwise.errors import Gone, NotFound
from healthwise.extensions import db
from healthwise.facilities.models import Facility, Workshop
from healthwise.timeutil import utcnow

# No 0/O, 1/I/L: codes are read aloud in workshops and typed on small keyboards.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_PREFIX = "hw_"


def normalise_code(code: str) -> str:
    """Return an enrolment code in its stored form: upper case, no separators."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def reachable_device(user: User, token_id: int) -> DeviceToken | None:
    """Return a device or API token the user may revoke, else None (as if it did not exist)."""
    token = db.session.get(DeviceToken, token_id) if access.valid_id(token_id) else None
    return token if token is not None and access.may_revoke(user, token) else None


def reachable_code(user: User, code_id: int) -> EnrolmentCode | None:
    """Return an enrolment code of a facility or workshop the user manages, else None."""
    code = db.session.get(EnrolmentCode, code_id) if access.valid_id(code_id) else None
    if code is None or not access.manages_phones_of(user, code.facility_id):
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
    :func:`healthwise.access.service.scope_of`).

    :raises AccountError: for a trainer, who reaches no facility.
    """
    if user.role not in access.MANAGERS:
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

    A workshop's join code keeps its text readable (``code``), for the trainer's projector
    to show it again; any other code is kept as a hash only.

    :param facility_id: the facility the phones will join.
    :param uses: how many phones may redeem it.
    :param ttl: how long it stays valid.
    :raises LookupError: if the facility does not exist.
    """
    if db.session.get(Facility, facility_id) is None:
        raise LookupError(f"no facility {facility_id}")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    shown = f"{raw[:4]}-{raw[4:]}"
    code = EnrolmentCode(code_hash=hash_secret(raw), facility_id=facility_id,
                         expires_at=utcnow() + ttl, uses_left=uses,
                         code=shown if access.workshop_of(facility_id) else None)
    db.session.add(code)
    db.session.flush()
    return code, shown


def codes_of(facility_id: int) -> list[EnrolmentCode]:
    """Return the enrolment codes of a facility that can still be redeemed, newest first."""
    return list(db.session.scalars(
        select(EnrolmentCode)
        .where(EnrolmentCode.facility_id == facility_id, EnrolmentCode.uses_left > 0,
               EnrolmentCode.expires_at > utcnow())
        .order_by(EnrolmentCode.id.desc())))


def over_workshops(today: date):
    """Return a subquery of the practice facilities whose workshop is closed or past."""
    return select(Workshop.facility_id).where(or_(Workshop.closed_at.is_not(None),
                                                  Workshop.ends_on < today))


def end_code(code: EnrolmentCode) -> None:
    """Stop a code from being redeemed again (phones that joined keep their tokens)."""
    code.uses_left = 0
    db.session.flush()


def redeem_code(raw: str, device_name: str) -> tuple[DeviceToken, str]:
    """Redeem an enrolment code for a new device token.

    One use is taken by a single conditional ``UPDATE``, so two phones redeeming the
    last use at once cannot both get it, on SQLite (which has no ``SELECT ... FOR
    UPDATE``) as on PostgreSQL, across every worker.

    :raises NotFound: for an unknown code.
    :raises Gone: for a code that expired or was used up, or of a workshop that is over
        (closed, or past its last day: ``workshop_closed``).
    """
    code_hash = hash_secret(normalise_code(raw))
    hold_writer_gate()
    now = utcnow()
    taken = db.session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == code_hash, EnrolmentCode.uses_left > 0,
               EnrolmentCode.expires_at >= now,
               EnrolmentCode.facility_id.not_in(over_workshops(date.today())))
        .values(uses_left=EnrolmentCode.uses_left - 1)
        .returning(EnrolmentCode.facility_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if taken is None:
        code = db.session.scalar(select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash))
        if code is None:
            raise NotFound("This enrolment code is not valid. Check it and try again.",
                           "unknown_code")
        if code.expires_at < now:
            raise Gone("This enrolment code has expired. Ask for a new one.", "code_expired")
        workshop = access.workshop_of(code.facility_id)
        if workshop is not None and workshop.over(date.today()):
            raise Gone("This workshop has ended: its join codes no longer work.",
                       "workshop_closed")
        raise Gone("This enrolment code has been used by as many phones as allowed. Ask for "
                   "a new one.", "code_used_up")
    return create_device_token(taken, device_name)
