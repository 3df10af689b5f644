"""Measure what photos cost: the plan PDF of 20 items with and without a photo each, and
an upload of a phone-sized photo through the whole Flask stack.

Prints medians (and the ratio of the PDF with photos to the one without, measured in
one run: these shared 2-core machines are noisy), the PDF sizes, and the command.
Always exits 0: a benchmark informs, it never fails a build.

Example: python benchmarks/bench_photos.py --runs 15
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shlex
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-photos-"))

from PIL import Image  # noqa: E402

from healthwise.plans.document import ActionItem, PlanDocument  # noqa: E402
from healthwise.plans.pdf import render_plan  # noqa: E402


def phone_photo(seed: int) -> bytes:
    """A photo as the phone sends it: 1280 x 960, JPEG, some 100 to 200 KB."""
    small = Image.effect_noise((160, 120), 60 + seed).convert("RGB")
    out = io.BytesIO()
    small.resize((1280, 960), Image.BICUBIC).save(out, "JPEG", quality=80)
    return out.getvalue()


def document(items: int, photos: tuple[bytes, ...]) -> PlanDocument:
    return PlanDocument(
        facility="Riverside Health Centre", district="North", round_title="Baseline",
        kind="baseline", date="20 November 2026", n_participants=6,
        items=tuple(ActionItem(rank=n + 1, checkpoint_id=f"HZ-{n:02d}",
                               checkpoint_text="Keep exits and corridors free of obstacles",
                               action="Clear the corridor and mark the exit", due="1 March 2027",
                               responsible="Head nurse", cost="low", status="planned",
                               photos=photos[n % len(photos):n % len(photos) + 1] if photos
                               else ()) for n in range(items)))


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def bench_pdf(runs: int, items: int) -> None:
    photos = tuple(phone_photo(i) for i in range(3))
    plain, with_photos = document(items, ()), document(items, photos)
    render_plan(plain, "en")  # fonts registered once, as in a worker
    a = timed(lambda: render_plan(plain, "en"), runs)
    b = timed(lambda: render_plan(with_photos, "en"), runs)
    size_a, size_b = len(render_plan(plain, "en")), len(render_plan(with_photos, "en"))
    print(f"plan PDF, {items} items: median {statistics.median(a):.1f} ms without photos, "
          f"{statistics.median(b):.1f} ms with one photo each "
          f"(ratio {statistics.median(b) / statistics.median(a):.2f}); "
          f"{size_a / 1024:.0f} KiB vs {size_b / 1024:.0f} KiB "
          f"(photos in: {sum(map(len, photos)) / 1024:.0f} KiB each set of 3)")


def bench_upload(runs: int) -> None:
    from healthwise import create_app
    from healthwise.devices.service import create_device_token
    from healthwise.extensions import db
    from healthwise.facilities.models import District, Facility

    folder = Path(tempfile.mkdtemp(prefix="bench-photos-db-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "RATELIMIT_ENABLED": False,
                      "DEMO_DATA": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/b.db",
                      "PHOTOS_DIR": str(folder / "photos")})
    with app.app_context():
        db.create_all()
        facility = Facility(name="Bench", district=District(name="D"))
        db.session.add(facility)
        db.session.commit()
        _, token = create_device_token(facility.id, "bench")
        db.session.commit()
        facility_id = facility.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    photos = [phone_photo(100 + i) for i in range(runs)]
    assessment, response = str(uuid.uuid4()), str(uuid.uuid4())
    changes = [
        {"change_id": str(uuid.uuid4()), "type": "assessment", "id": assessment,
         "fields": {"facility_id": facility_id, "checklist_id": "healthwise",
                    "checklist_version": 1}},
        {"change_id": str(uuid.uuid4()), "type": "response", "id": response,
         "fields": {"assessment_id": assessment}}]
    checkpoints = ["HZ-01", "HZ-02", "HZ-03", "HZ-04", "HZ-05", "HZ-06"]
    for n, data in enumerate(photos):
        changes.append({"change_id": str(uuid.uuid4()), "type": "action_item",
                        "id": str(uuid.uuid4()),
                        "fields": {"assessment_id": assessment,
                                   "checkpoint_id": checkpoints[n % 6],
                                   "photos": [hashlib.sha256(data).hexdigest()]}})
    client.post("/api/v1/sync", json={"device_id": str(uuid.uuid4()), "changes": changes},
                headers=headers)
    times, again = [], []
    for data in photos:
        url = f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}"
        for bucket, status in ((times, 201), (again, 200)):
            start = time.perf_counter()
            response = client.put(url, data=data, content_type="image/jpeg", headers=headers)
            bucket.append((time.perf_counter() - start) * 1000)
            assert response.status_code == status, response.get_json()
    size = statistics.median(map(len, photos)) / 1024
    print(f"upload of a {size:.0f} KiB photo (Flask test client, SQLite, fsync): median "
          f"{statistics.median(times):.1f} ms stored, {statistics.median(again):.1f} ms "
          f"when already there (a retry)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--items", type=int, default=20)
    args = parser.parse_args()
    print(f"$ {shlex.join(['python', 'benchmarks/bench_photos.py', *sys.argv[1:]])}")
    for step in (lambda: bench_pdf(args.runs, args.items), lambda: bench_upload(args.runs)):
        try:
            step()
        except Exception:  # a benchmark informs, it never fails a build
            traceback.print_exc()


if __name__ == "__main__":
    main()
