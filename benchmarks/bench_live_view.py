"""A workshop's live view with 100 phones: the cost of one refresh, and of a 304.

Builds a workshop whose trainer has started one round, then 100 participants' phones,
each syncing a response of about 70 answers through ``POST /api/v1/sync`` (7,000
answers). Prints, for the trainer's ``GET /manage/workshops/<id>/live.json`` and the
HTML fragment the projector's page polls (``.../live/panel``): the time of a full
refresh (something changed: p50, p95), of a refresh answered ``304 Not Modified``
(nothing changed) and the SQL statements each runs, whatever the number of phones.
SQLite by default; any empty SQLAlchemy URL with ``--database`` (its tables are
dropped and made again).

It never fails a build: it prints and exits 0.

Example:
    .venv/bin/python benchmarks/bench_live_view.py [--phones 100] [--runs 50] [--database URL]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", tempfile.mkdtemp(prefix="hw-bench-"))

from signin import signed_in  # noqa: E402  (benchmarks/signin.py)

ANSWERS = 70


def build(url: str, n_phones: int):
    """Return (app, trainer, workshop id, round id) with ``n_phones`` phones that answered."""
    from datetime import date

    from healthwise import create_app
    from healthwise.auth.models import User
    from healthwise.checklists.registry import registry
    from healthwise.devices.service import create_device_token
    from healthwise.extensions import db
    from healthwise.workshops import service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_DATA": False,
                      "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench-live-view-secret-key-0123456789abcdef"})
    with app.app_context():
        db.session().expire_on_commit = False
        db.drop_all()
        db.create_all()
        trainer = User(email="trainer@example.org", password_hash="-", role="trainer")
        db.session.add(trainer)
        workshop = service.create_workshop(trainer, "Bench training", date.today())
        round_id = service.start_round(workshop, trainer.email, "Practice round", [])
        secrets = [create_device_token(workshop.facility_id, f"Phone {n:03d}")[1]
                   for n in range(n_phones)]
        db.session.commit()
        checkpoints = list(registry().get(service.CHECKLIST_ID).checkpoints)[:ANSWERS]
        workshop_id = workshop.id
    client = app.test_client()
    started = time.perf_counter()
    for n, secret in enumerate(secrets):
        response_id = str(uuid.uuid4())
        changes = [{"change_id": str(uuid.uuid4()), "type": "response", "id": response_id,
                    "base_rev": None, "fields": {"assessment_id": round_id,
                                                 "participant": f"Participant {n}",
                                                 "role": "clinical"}}]
        changes += [{"change_id": str(uuid.uuid4()), "type": "answer", "id": str(uuid.uuid4()),
                     "base_rev": None, "fields": {
                         "response_id": response_id, "checkpoint_id": cp,
                         "action": ("yes", "no", "na")[(n + i) % 3],
                         "priority": (n + i) % 5 == 0, "remark": ""}}
                    for i, cp in enumerate(checkpoints)]
        reply = client.post("/api/v1/sync", json={"device_id": str(uuid.uuid4()),
                                                   "cursor": None, "changes": changes},
                            headers={"Authorization": f"Bearer {secret}"})
        assert reply.status_code == 200, reply.get_json()
    print(f"  {n_phones} phones synced {n_phones * ANSWERS:,} answers in "
          f"{time.perf_counter() - started:.1f} s (test client, one after another)")
    return app, trainer, workshop_id, round_id


def measure(app, client, url: str, runs: int, etag: str | None):
    """Return (timings in ms, statements of the last request, status, etag)."""
    from sqlalchemy import event

    from healthwise.extensions import db

    timings, statements = [], []
    headers = {"If-None-Match": etag} if etag else {}
    with app.app_context():
        engine = db.engine
    for _ in range(runs):
        statements.clear()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", listener)
    return timings, len(statements), response.status_code, response.headers.get("ETag")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench-live.db"
    print(f"$ python benchmarks/bench_live_view.py --phones {args.phones} --runs {args.runs}"
          + (" --database URL" if args.database else ""))
    print(f"database: {url.split(':')[0]}; {args.phones} phones x {ANSWERS} answers")
    app, trainer, workshop_id, round_id = build(url, args.phones)
    client = signed_in(app, trainer)
    print(f"  {'what':<22} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, path in (("live.json", "live.json"), ("live/panel (HTML)", "live/panel")):
        target = f"/manage/workshops/{workshop_id}/{path}?round={round_id}"
        full, queries, status, etag = measure(app, client, target, args.runs, None)
        print(f"  {name + ' refresh':<22} {status:>6} {statistics.median(full):>8.1f} "
              f"{p95(full):>8.1f} {queries:>8}")
        cached, queries, status, _ = measure(app, client, target, args.runs, etag)
        print(f"  {name + ' unchanged':<22} {status:>6} {statistics.median(cached):>8.1f} "
              f"{p95(cached):>8.1f} {queries:>8}")
    print("queries include the signed-in session's own (the person, their session).")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a benchmark never fails a build
        print(f"benchmark failed: {exc!r}")
