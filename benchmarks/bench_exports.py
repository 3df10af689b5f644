"""Measure a district's SQLite export (and its ZIP of CSV files): time and peak memory.

The district: 200 facilities x 4 rounds x 6 participants, each answering every live
checkpoint of the shipped checklist (about 390,000 answers), and 8 agreed actions a
round, made here with bulk inserts (SQLAlchemy Core, one ``executemany`` per table and
facility) into a database of its own: a temporary SQLite file, or ``--database-url``
(an empty PostgreSQL database, whose tables are created here).

Prints the time of each export (median of ``--runs``, wall and CPU), the peak of Python
memory during one export (tracemalloc, run apart from the timed runs since it slows
them) and the process's peak resident size before and after, the file's size and its
row counts, and the command that produced them. Always exits 0: a benchmark informs,
it never fails a build.

Example: python benchmarks/bench_exports.py --facilities 200 --runs 3
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shlex
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-exports-"))

from sqlalchemy import insert, text  # noqa: E402

from healthwise import create_app  # noqa: E402
from healthwise.assessments.models import (  # noqa: E402
    ActionItem,
    Answer,
    Assessment,
    Response,
)
from healthwise.checklists.registry import registry  # noqa: E402
from healthwise.exports.service import for_districts  # noqa: E402
from healthwise.extensions import db  # noqa: E402
from healthwise.facilities.models import District, Facility  # noqa: E402

ACTIONS = ("yes", "no", "na", None)
STATUSES = ("planned", "in_progress", "done", "dropped")


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(facilities: int, rounds: int, participants: int, items: int) -> int:
    """Fill an empty database with one district; return the district's id."""
    rng = random.Random(12)
    checklist = registry().get("healthwise")
    checkpoints = [c["id"] for m in checklist.data["modules"] for c in m["checkpoints"]
                   if not c.get("withdrawn")]
    district = District(name="Benchmark District")
    db.session.add(district)
    db.session.flush()
    db.session.execute(insert(Facility), [
        {"district_id": district.id, "name": f"Facility {n:03d}", "kind": "health centre"}
        for n in range(facilities)])
    facility_ids = list(db.session.scalars(
        db.select(Facility.id).where(Facility.district_id == district.id)))
    db.session.commit()
    seq = 0
    for facility_id in facility_ids:
        assessments, responses, answers, actions = [], [], [], []
        previous = None
        for number in range(rounds):
            round_id = _id(rng)
            seq += 1
            assessments.append({
                "id": round_id, "facility_id": facility_id, "seq": seq,
                "checklist_id": "healthwise", "checklist_version": checklist.version,
                "title": f"Round {number + 1}", "kind": "follow_up" if previous else "baseline",
                "previous_id": previous, "status": "agreed",
                "started_on": (date(2025, 1, 1) + timedelta(days=120 * number)).isoformat()})
            previous = round_id
            for person in range(participants):
                response_id = _id(rng)
                seq += 1
                responses.append({"id": response_id, "facility_id": facility_id, "seq": seq,
                                  "assessment_id": round_id, "participant": f"Person {person}",
                                  "role": "nurse"})
                for checkpoint_id in checkpoints:
                    seq += 1
                    action = rng.choice(ACTIONS)
                    answers.append({"id": _id(rng), "facility_id": facility_id, "seq": seq,
                                    "response_id": response_id, "assessment_id": round_id,
                                    "checkpoint_id": checkpoint_id, "action": action,
                                    "priority": action == "yes" and rng.random() < 0.4,
                                    "remark": ""})
            for rank in range(items):
                seq += 1
                actions.append({"id": _id(rng), "facility_id": facility_id, "seq": seq,
                                "assessment_id": round_id, "rank": rank + 1,
                                "checkpoint_id": rng.choice(checkpoints),
                                "action": f"Fix the ward's lighting and floors, step {rank}",
                                "due_on": (date(2025, 6, 1) + timedelta(days=rank * 30)
                                           ).isoformat(), "status": rng.choice(STATUSES)})
        for model, rows in ((Assessment, assessments), (Response, responses),
                            (Answer, answers), (ActionItem, actions)):
            db.session.execute(insert(model), rows)
        db.session.commit()
    return district.id


def _export_sqlite(export, folder: Path) -> Path:
    path = folder / f"export-{uuid.uuid4().hex}.sqlite"
    export.write_sqlite(path)
    return path


def _export_zip(export, folder: Path) -> Path:
    path = folder / f"export-{uuid.uuid4().hex}.zip"
    with path.open("wb") as out:
        export.write_zip(out)
    return path


def _timed(work, runs: int) -> tuple[list[float], list[float], Path]:
    walls, cpus, made = [], [], None
    for _ in range(runs):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        made = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        db.session.remove()
    return walls, cpus, made


def _peak_python(work) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        db.session.remove()


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--participants", type=int, default=6)
    parser.add_argument("--items", type=int, default=8, help="action items a round")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    url = args.database_url or f"sqlite:///{folder / 'source.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "DEMO_DATA": False,
                      "SECRET_KEY": "benchmark-secret-key-not-for-production-0123"})
    with app.app_context():
        db.create_all()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("INSERT INTO sync_clock (id, value) VALUES (1, 0)"))
        started = time.perf_counter()
        district_id = generate(args.facilities, args.rounds, args.participants, args.items)
        generated = time.perf_counter() - started
        n_answers = db.session.scalar(db.select(db.func.count()).select_from(Answer))
        print(f"generated {args.facilities} facilities x {args.rounds} rounds x "
              f"{args.participants} participants: {n_answers:,} answers in {generated:.1f} s "
              f"({db.engine.dialect.name})")
        district = db.session.get(District, district_id)
        db.session.expunge(district)
        rss_before = _max_rss_mb()

        def export():
            return for_districts([district], registry())

        for label, work in (("SQLite", lambda: _export_sqlite(export(), folder)),
                            ("ZIP of CSV", lambda: _export_zip(export(), folder))):
            walls, cpus, made = _timed(work, args.runs)
            peak = _peak_python(work)
            print(f"{label:10s} export: median {statistics.median(walls):.2f} s wall, "
                  f"{statistics.median(cpus):.2f} s CPU over {args.runs} runs "
                  f"(min {min(walls):.2f}, max {max(walls):.2f}); "
                  f"{made.stat().st_size / 2**20:.1f} MiB; "
                  f"Python peak {peak / 2**20:.1f} MiB (tracemalloc)")
        import sqlite_utils

        built = sqlite_utils.Database(_export_sqlite(export(), folder))
        print("rows: " + ", ".join(f"{name} {built[name].count:,}" for name in (
            "facilities", "rounds", "action_items", "module_figures", "checkpoint_figures")))
        print(f"peak resident size: {rss_before:.0f} MB before the exports (data generated), "
              f"{_max_rss_mb():.0f} MB after")
    print("command: python " + " ".join(shlex.quote(a) for a in sys.argv))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a benchmark informs, it never fails a build
        traceback.print_exc()
    sys.exit(0)
