"""Device tokens and enrolment codes: create, redeem, verify, revoke."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from healthwise.assessments.service import Scope
from healthwise.auth.models import DeviceToken, EnrolmentCode
from healthwise.districts.models import Facility
from healthwise.extensions import db
from healthwise.timeutil import utcnow

# No 0/O, 1/I/L: codes are read aloud in workshops and typed on small keyboards.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_PREFIX = "hw_"


class CodeError(Exception):
    """An enrolment code that cannot be redeemed; ``code`` says why."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest of a token or code (they are random, so no salt)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Return an enrolment code in its stored form: upper case, no separators."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_device_token(facility_id: int, name: str = "") -> tuple[DeviceToken, str]:
    """Create a facility-scoped device token; return it and its secret (shown once).

    :param facility_id: the facility the phone belongs to.
    :param name: a label, e.g. "Nurse Ana's phone".
    :raises LookupError: if the facility does not exist.
    """
    if db.session.get(Facility, facility_id) is None:
        raise LookupError(f"no facility {facility_id}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    token = DeviceToken(token_hash=hash_secret(secret), name=name[:100], facility_id=facility_id)
    db.session.add(token)
    db.session.flush()
    return token, secret


def find_token(secret: str) -> DeviceToken | None:
    """Return the active token with this secret, or None (unknown or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(
        select(DeviceToken).where(DeviceToken.token_hash == hash_secret(secret))
    )
    return token if token is not None and token.active else None


def scope_of(token: DeviceToken) -> Scope:
    """Return what a token may read and write."""
    return Scope(frozenset({token.facility_id}) if token.facility_id else frozenset())


def revoke(token: DeviceToken) -> None:
    """Revoke a token: from now on it gets 401."""
    token.revoked_at = utcnow()


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


def redeem_code(raw: str, device_name: str) -> tuple[DeviceToken, str]:
    """Redeem an enrolment code for a new device token.

    :raises CodeError: unknown (404), expired or used up (410).
    """
    code = db.session.scalar(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == hash_secret(normalise_code(raw)))
        .with_for_update()
    )
    if code is None:
        raise CodeError("unknown_code", "This enrolment code is not valid. Check it and "
                                        "try again.", 404)
    if code.expires_at < utcnow():
        raise CodeError("code_expired", "This enrolment code has expired. Ask for a new one.",
                        410)
    if code.uses_left <= 0:
        raise CodeError("code_used_up", "This enrolment code has been used by as many phones "
                                        "as allowed. Ask for a new one.", 410)
    code.uses_left -= 1
    return create_device_token(code.facility_id, device_name)
