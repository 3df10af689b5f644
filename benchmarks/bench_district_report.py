"""Measure how long the district report of 100 facilities takes, in English and Arabic.

Target (shared/design/quality.md): a district report of 100 facilities within 3 s.
The script builds a district in a database file of its own, with SQLAlchemy Core bulk
inserts: each facility (but every tenth, never assessed) has a baseline round of 5 to 8
participants who answered every checkpoint, most a follow-up round too, and 4 to 14
action items in every state. It then times the whole report (reading the overview and
the open actions, building the document, rendering the PDF) and the rendering alone,
median of ``--runs`` runs each, and prints the figures, the pages and the command.
Always exits 0: a benchmark informs, it never fails a build.

Example: python benchmarks/bench_district_report.py --facilities 100 --runs 3
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
INSTANCE = tempfile.mkdtemp(prefix="hw-bench-report-")
atexit.register(shutil.rmtree, INSTANCE, ignore_errors=True)
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", INSTANCE)

from sqlalchemy import insert  # noqa: E402

from healthwise import create_app  # noqa: E402
from healthwise.assessments.models import ActionItem, Answer, Assessment, Response  # noqa: E402
from healthwise.checklists.registry import registry  # noqa: E402
from healthwise.extensions import db  # noqa: E402
from healthwise.facilities.models import District, Facility  # noqa: E402

TODAY = date(2026, 12, 2)
KINDS = ("hospital", "health centre", "clinic", "dispensary")
PLACES = ("Riverside", "Hilltop", "Lakeside", "Market Street", "Kibera", "Mwembe", "Nyali",
          "Tudor", "Likoni", "Bamburi", "Shanzu", "Mtwapa", "Kisauni", "Changamwe")
ACTIONS = ("Mark the wet floor and fix the leaking roof over the store",
           "Buy two sharps containers for each ward and train the cleaners",
           "Agree a rota so that nobody works two night shifts in a row",
           "Put a lock and an alarm button on the triage room door",
           "Post-exposure prophylaxis kit at the maternity desk, checked monthly",
           "Repair the lifting belt and show every nurse how to use it")


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_district(n_facilities: int, seed: int = 2026, name: str = "Benchmark District"
                   ) -> int:
    """Insert a district of ``n_facilities`` with rounds, answers and actions; return its id.

    Runs inside an application context, in one transaction, with Core bulk inserts.
    """
    rng = random.Random(seed)
    checklist = next(iter(registry()))
    live = [(module["id"], c["id"]) for module in checklist.data["modules"]
            for c in module["checkpoints"] if not c.get("withdrawn")]
    district = District(name=name)
    db.session.add(district)
    db.session.flush()
    facility_rows = [{"district_id": district.id, "kind": KINDS[i % len(KINDS)],
                      "name": f"{PLACES[i % len(PLACES)]} {KINDS[i % len(KINDS)].title()} "
                              f"{i // len(PLACES) + 1}"} for i in range(n_facilities)]
    ids = list(db.session.scalars(insert(Facility).returning(Facility.id), facility_rows))
    rounds, responses, answers, items = [], [], [], []
    seq = 1

    def record(facility_id: int, **fields) -> dict:
        nonlocal seq
        seq += 1
        created = datetime(2026, 1, 1) + timedelta(minutes=seq)
        updated = created + timedelta(days=rng.randint(0, 330))
        return {"id": _id(rng), "facility_id": facility_id, "rev": 1, "seq": seq, "clock": {},
                "conflicts": [], "created_at": created, "updated_at": updated, **fields}

    for number, facility_id in enumerate(ids):
        if number % 10 == 9:
            continue  # never assessed
        started = TODAY - timedelta(days=rng.randint(120, 420))
        previous = None
        kinds = ["baseline"] + (["follow_up"] if rng.random() < 0.6 else [])
        for kind in kinds:
            day = started if kind == "baseline" else started + timedelta(days=rng.randint(90, 119))
            assessment = record(facility_id, checklist_id=checklist.id,
                                checklist_version=checklist.version,
                                title=f"{kind.replace('_', '-').title()} {day.year}", kind=kind,
                                previous_id=previous, status="agreed",
                                started_on=day.isoformat(), removed=False)
            rounds.append(assessment)
            previous = assessment["id"]
            for person in range(rng.randint(5, 8) if number % 7 else 3):
                response = record(facility_id, assessment_id=assessment["id"],
                                  participant=f"Participant {person}", role="nurse",
                                  completed=True)
                responses.append(response)
                for _module, checkpoint_id in live:
                    action = rng.choices(("yes", "no", "na"), weights=(4, 5, 1))[0]
                    answers.append(record(facility_id, response_id=response["id"],
                                          assessment_id=assessment["id"],
                                          checkpoint_id=checkpoint_id, action=action,
                                          priority=action == "yes" and rng.random() < 0.4,
                                          remark=""))
            for rank in range(1, rng.randint(2, 7) + 1):
                _module, checkpoint_id = rng.choice(live)
                due = day + timedelta(days=rng.randint(30, 200))
                items.append(record(facility_id, assessment_id=assessment["id"],
                                    checkpoint_id=checkpoint_id, action=rng.choice(ACTIONS),
                                    responsible="Matron", due_on=due.isoformat(),
                                    cost=rng.choice(("none", "low", "medium", "high")),
                                    status=rng.choices(("planned", "in_progress", "done",
                                                        "dropped"), weights=(4, 3, 3, 1))[0],
                                    progress_note="", rank=rank))
    for model, rows in ((Assessment, rounds), (Response, responses), (Answer, answers),
                        (ActionItem, items)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])
    db.session.commit()
    return district.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--save", type=Path, help="a folder to write each language's PDF to")
    args = parser.parse_args()
    print("$ python benchmarks/bench_district_report.py " + shlex.join(sys.argv[1:]))
    try:
        run(args)
    except Exception:  # a benchmark informs, it never fails a build
        import traceback

        traceback.print_exc()


def run(args) -> None:
    from pypdf import PdfReader

    from healthwise.districts import report
    from healthwise.districts.report_pdf import render_district_report
    from healthwise.languages.service import gettext_for
    from healthwise.plans.pdf import fonts, lines

    url = f"sqlite:///{Path(INSTANCE) / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40,
                      "DEMO_DATA": False, "TESTING": True})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        district_id = build_district(args.facilities)
        print(f"built {args.facilities} facilities in {time.perf_counter() - started:.1f} s")
        district = db.session.get(District, district_id)
        fonts.init_fonts()
        for lang in ("en", "ar"):
            gettext, ngettext = gettext_for(lang)
            whole, render, cpu = [], [], []
            for _ in range(args.runs):
                # Empty text caches, as a report of new text would find them.
                for cache in (lines.layout_line, fonts.shaped, fonts.word_width):
                    cache.cache_clear()
                t0, c0 = time.perf_counter(), time.process_time()
                document = report.report_document(district, registry(), lang, TODAY)
                t1 = time.perf_counter()
                pdf = render_district_report(document, lang, gettext, ngettext)
                t2, c2 = time.perf_counter(), time.process_time()
                whole.append(t2 - t0)
                render.append(t2 - t1)
                cpu.append(c2 - c0)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / report.report_filename(district, TODAY, lang)).write_bytes(pdf)
            print(f"{lang}: whole report median {statistics.median(whole):.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in whole)}), rendering alone "
                  f"{statistics.median(render):.2f} s, CPU {statistics.median(cpu):.2f} s; "
                  f"{pages} pages, {len(pdf) / 1024:.0f} KiB; target at most 3 s")


if __name__ == "__main__":
    main()
