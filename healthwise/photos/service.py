"""Photos: blobs named by their sha-256, kept in a folder, and who may read one.

A phone uploads a photo apart from the record that names it (``PUT`` by its sha-256),
before or after that record syncs. The bytes are written to a hidden temporary file
beside their place and renamed into it only once all of them arrived and their
sha-256 is the name: a cut upload, or one whose bytes are not the photo it names,
never becomes a photo, and a retry of a stored photo changes nothing.

Storage is a folder (``PHOTOS_DIR``, by default ``instance/photos``), one file per
photo at ``ab/<sha256>``. For a large deployment mount object storage there (an S3
bucket through ``s3fs``/``rclone mount``, or a network volume shared by every
worker), or give :func:`store_for` another object with the methods of
:class:`FolderStore`.

Who may read a photo follows the records that name it: a phone reads the photos of its
facility's answers and action items; above facility level (a district manager's pages)
only the photos of action items, never those of a sensitive checkpoint.
"""

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import Text, cast, select
from werkzeug.exceptions import ClientDisconnected

from healthwise.assessments.models import ActionItem, Answer, Assessment
from healthwise.assessments.schemas import SHA256_PATTERN
from healthwise.errors import BadRequest, NotFound, TooLarge, UnsupportedType
from healthwise.extensions import db

#: The largest photo the server takes. The phone sends at most about 200 KB (long side
#: 1280 px); this leaves room for another client's, and stops anything bigger at once.
MAX_PHOTO_BYTES = 512 * 1024
#: The media types a photo may have, and how their bytes begin.
MEDIA_TYPES = {"image/jpeg": (b"\xff\xd8\xff",), "image/webp": (b"RIFF",)}
#: A photo never changes (its name is its content): a year in any cache.
CACHE_CONTROL = "private, max-age=31536000, immutable"
CHUNK = 64 * 1024


def valid_name(name: str) -> bool:
    """Return True if ``name`` can be a photo's name (64 lower-case hex digits)."""
    return bool(SHA256_PATTERN.match(name))


def media_type_of(data: bytes) -> str | None:
    """Return the media type the bytes of a photo begin with, or None if neither."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class FolderStore:
    """Photos in a folder: ``<root>/ab/<sha256>``, written whole or not at all."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name[:2] / name

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def read(self, name: str) -> bytes | None:
        """Return a photo's bytes, or None if it is not here (yet)."""
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, name: str, chunks: Iterable[bytes], length: int) -> bool:
        """Store the photo ``name`` from ``chunks`` if they are all of it; return True
        if it was new.

        :raises BadRequest: ``incomplete`` (fewer bytes than ``length``) or
            ``sha256_mismatch`` (the bytes are another photo); nothing is stored.
        :raises UnsupportedType: the bytes are neither a JPEG nor a WebP image.
        """
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Hidden (a leading dot): backups and listings skip a file still being written.
        temporary = target.parent / f".{name}.{secrets.token_hex(4)}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(temporary, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    if len(head) < 12:
                        head += chunk[:12]
                    out.write(chunk)
                if size < length:
                    raise BadRequest(f"The photo arrived cut short ({size} of {length} bytes); "
                                     "send it again.", "incomplete")
                if digest.hexdigest() != name:
                    raise BadRequest("The photo's bytes do not have the sha-256 it is named "
                                     "by: name it by the sha-256 of what is sent.",
                                     "sha256_mismatch")
                if media_type_of(head) is None:
                    raise UnsupportedType("A photo must be a JPEG or WebP image.")
                out.flush()
                os.fsync(out.fileno())
            new = not target.exists()
            os.replace(temporary, target)  # atomic: a reader sees all of it or nothing
            return new
        finally:
            temporary.unlink(missing_ok=True)


def store_for(app=None) -> FolderStore:
    """Return the photo store of the app (its ``PHOTOS_DIR`` folder)."""
    return FolderStore((app or current_app).config["PHOTOS_DIR"])


def receive(name: str, media_type: str | None, length: int | None, stream) -> bool:
    """Store an uploaded photo; return True if it was new, False if it was already here.

    :param name: the photo's name from the URL: the sha-256 of its bytes.
    :param media_type: the request's Content-Type.
    :param length: the request's Content-Length.
    :param stream: the request body.
    :raises BadRequest: a name that is no sha-256, no Content-Length, a cut body or
        one whose sha-256 differs.
    :raises TooLarge: a photo over :data:`MAX_PHOTO_BYTES`.
    :raises UnsupportedType: neither ``image/jpeg`` nor ``image/webp``.
    """
    if not valid_name(name):
        raise BadRequest("A photo is named by the 64 lower-case hex digits of its sha-256.",
                         "bad_photo_name")
    if (media_type or "").split(";")[0].strip().lower() not in MEDIA_TYPES:
        raise UnsupportedType("A photo must be sent as image/jpeg or image/webp.")
    if length is None:
        raise BadRequest("Send the photo with its Content-Length.", "length_required")
    if length > MAX_PHOTO_BYTES:
        raise TooLarge(f"A photo may be at most {MAX_PHOTO_BYTES} bytes; this one is "
                       f"{length}. Shrink it first.", details={"limit": MAX_PHOTO_BYTES})
    store = store_for()
    if store.has(name):
        return False  # the same name is the same bytes: a retry, or another phone's copy
    return store.put(name, _read(stream, length), length)


def _read(stream, length: int) -> Iterator[bytes]:
    """Yield the body a chunk at a time, at most ``length`` bytes, until it ends."""
    left = length
    while left > 0:
        try:
            chunk = stream.read(min(CHUNK, left))
        except (ClientDisconnected, OSError):  # the connection dropped mid-upload
            return
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def referenced(name: str, facility_ids, above_facility: bool = False, registry=None) -> bool:
    """Return True if a record of one of ``facility_ids`` names the photo.

    :param above_facility: for a reader above facility level (a district manager):
        only action items count, of rounds not removed, and never one about a
        sensitive checkpoint.
    :param registry: the checklist registry (needed with ``above_facility``).
    """
    facility_ids = sorted(facility_ids)
    if not facility_ids or not valid_name(name):
        return False
    # Photo names are hex: nothing in them is a LIKE wildcard.
    pattern = f'%"{name}"%'
    if not above_facility:
        for model in (Answer, ActionItem):
            found = select(model.id).where(model.facility_id.in_(facility_ids),
                                           cast(model.photos, Text).like(pattern)).limit(1)
            if db.session.scalar(found) is not None:
                return True
        return False
    rows = db.session.execute(
        select(ActionItem.checkpoint_id, Assessment.checklist_id)
        .join(Assessment, Assessment.id == ActionItem.assessment_id)
        .where(ActionItem.facility_id.in_(facility_ids), Assessment.removed.is_not(True),
               cast(ActionItem.photos, Text).like(pattern)))
    return any(not sensitive(registry, checklist_id, checkpoint_id)
               for checkpoint_id, checklist_id in rows)


def sensitive(registry, checklist_id: str, checkpoint_id: str | None) -> bool:
    """Return True if a checkpoint is marked sensitive (unknown ones count as sensitive)."""
    if checkpoint_id is None:
        return False  # the committee's own action, about no checkpoint
    checklist = registry.get(checklist_id) if registry is not None else None
    checkpoint = checklist.checkpoints.get(checkpoint_id) if checklist is not None else None
    # A checkpoint no checklist knows any longer might have been sensitive: withheld.
    return checkpoint is None or bool(checkpoint.get("sensitive"))


def photo_bytes(name: str) -> tuple[bytes, str]:
    """Return a stored photo and its media type.

    :raises NotFound: ``photo_pending`` when it has not arrived yet.
    """
    data = store_for().read(name)
    if data is None:
        raise NotFound("This photo has not been uploaded yet.", "photo_pending")
    return data, media_type_of(data) or "application/octet-stream"


def readable_photos(names: Iterable[str]) -> dict[str, bytes]:
    """Return the bytes of those of ``names`` that are stored (for a PDF), by name."""
    store = store_for()
    found = {}
    for name in names:
        if valid_name(name) and (data := store.read(name)) is not None:
            found[name] = data
    return found
