"""What a phone's "which group am I in?" costs: ``GET /api/v1/workshop`` with 100 phones.

Every participant's phone asks it after each sync (static/js/enrol.js
``refreshWorkshop``). Builds a workshop of ``--phones`` phones split into ``--groups``
groups, each group with its round, then times the request for every phone in turn
(p50, p95) and counts its SQL statements, the token check included.

It never fails a build: it prints and exits 0.

Example:
    .venv/bin/python benchmarks/bench_workshop_group.py [--phones 100] [--groups 5] [--database URL]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", tempfile.mkdtemp(prefix="hw-bench-"))

from benchmarks.bench_live_view import p95  # noqa: E402


def build(url: str, n_phones: int, n_groups: int):
    """Return (app, phone secrets) for a workshop of ``n_phones`` in ``n_groups`` groups."""
    from datetime import date

    from healthwise import create_app
    from healthwise.auth.models import User
    from healthwise.devices.service import create_device_token
    from healthwise.extensions import db
    from healthwise.workshops import service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_DATA": False,
                      "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench-workshop-group-secret-key-0123456789"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        trainer = User(email="trainer@example.org", password_hash="-", role="trainer")
        db.session.add(trainer)
        workshop = service.create_workshop(trainer, "Bench training", date.today())
        tokens = [create_device_token(workshop.facility_id, f"Phone {n:03d}")
                  for n in range(n_phones)]
        modules = [m["id"] for m in service.checklist().data["modules"]]
        for g in range(n_groups):
            group = service.add_group(workshop, f"Group {g + 1}")
            service.assign_phones(workshop, {t.id: group.id for t, _ in tokens[g::n_groups]})
            service.start_round(workshop, trainer.email, f"Ward {g + 1}",
                                [modules[g % len(modules)]], group)
        db.session.commit()
        return app, [secret for _, secret in tokens]


def main() -> None:
    from sqlalchemy import event

    from healthwise.extensions import db

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench-group.db"
    print(f"$ python benchmarks/bench_workshop_group.py --phones {args.phones} "
          f"--groups {args.groups}" + (" --database URL" if args.database else ""))
    app, secrets = build(url, args.phones, args.groups)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    timings = []
    for _ in range(3):
        for secret in secrets:
            statements.clear()
            started = time.perf_counter()
            reply = client.get("/api/v1/workshop", headers={"Authorization": f"Bearer {secret}"})
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200 and reply.get_json()["group"], reply.get_json()
    timings.sort()
    print(f"database: {url.split(':')[0]}; {args.phones} phones in {args.groups} groups; "
          f"{len(timings)} requests")
    print(f"  GET /api/v1/workshop  p50 {timings[len(timings) // 2]:.2f} ms  "
          f"p95 {p95(timings):.2f} ms  {len(statements)} SQL statements")


if __name__ == "__main__":
    main()
