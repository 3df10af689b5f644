"""Benchmark the district overview at scale, on generated data (issue 12).

Generates districts of 50, 200 and 800 facilities (4 rounds of 6 participants each,
about 70 answers a participant: ``healthwise demo generate``'s data) into a temporary
SQLite file, and into the PostgreSQL database ``hw_scale`` when it can be reached
(its public schema is dropped and made again: give the bench a database of its own,
``HEALTHWISE_BENCH_POSTGRES_URL`` to choose another). Then, in-process through Flask's
test client, signed in as the district's manager (page) or with the manager's API
token (API), it measures for each size:

- p50 and p95 of ``--requests`` requests of each URL in :data:`OVERVIEW`, the SQL
  statements per request (counted by an engine event listener), and the median CPU
  time of this process per request (steadier than the wall clock on a busy machine;
  on SQLite it includes the database's work, on PostgreSQL not the server's);
- the growth from 50 to 200 and from 200 to 800 facilities (4.0 when the cost grows
  as the facilities shown; the target is no faster than that, and a constant number of
  queries: shared/design/quality.md, "Scale");
- a facility's pages (:data:`FACILITY_PAGES`, each skipped if the app has no such
  route), a plan PDF of a generated round, and the district report PDF
  (:data:`DISTRICT_PDF`) of each measured district.

Target (quality.md): the overview of a 200-facility district in at most 150 ms (p95)
with 2,000 facilities in the database: ``--background 950`` adds 200-facility districts
to reach that size (generation then takes a few minutes more).

Always exits 0: a benchmark informs, it never fails a build.

Example: .venv/bin/python benchmarks/bench_district.py --requests 20 --sizes 50 200 800
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

INSTANCE = tempfile.mkdtemp(prefix="healthwise-bench-district-")
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", INSTANCE)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signin import signed_in  # noqa: E402  (benchmarks/signin.py)
from sqlalchemy import create_engine, event, select, text  # noqa: E402

#: The district overview's URLs, measured for every size; one the app lacks is skipped.
#: The page is the overview rewritten as ``healthwise.districts.overview`` (its API is
#: ``.../overview``); ``.../summary`` is the managers' API from before it.
OVERVIEW = {
    "district page": "/manage/districts/{district}",
    "overview API": "/api/v1/districts/{district}/overview",
    "summary API": "/api/v1/districts/{district}/summary",
}
#: A facility's pages: its phones and codes, and (for managers) its plans.
FACILITY_PAGES = ("/manage/facilities/{facility}", "/manage/facilities/{facility}/plans")
PLAN_PDF = "/api/v1/assessments/{assessment}/plan.pdf?lang={lang}"
#: The district report (every facility of the district in one PDF), for the manager.
DISTRICT_PDF = "/manage/districts/{district}/report.pdf?lang={lang}"
SIZES = (50, 200, 800)
ROUNDS, PARTICIPANTS = 4, 6
POSTGRES = os.environ.get("HEALTHWISE_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/hw_scale")


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of ``values`` (``share`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Statements:
    """Count the SQL statements an engine runs (an executemany counts once)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args, **_kwargs) -> None:
        self.count += 1


def measure(client, url: str, runs: int, statements: Statements, headers=None) -> dict:
    """GET ``url`` once to warm up, then ``runs`` times; return times (ms) and queries."""
    first = client.get(url, headers=headers)
    if first.status_code != 200:
        raise RuntimeError(f"GET {url}: {first.status_code} {first.get_data(as_text=True)[:200]}")
    times, cpu, queries = [], [], []
    for _ in range(runs):
        statements.count = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(statements.count)
        assert response.status_code == 200, response.status_code
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95),
            "cpu": statistics.median(cpu), "queries": max(queries), "bytes": len(first.data)}


def _routed(routes, path: str) -> bool:
    """Tell whether the app has a GET route for ``path``."""
    from werkzeug.exceptions import HTTPException

    try:
        routes.match(path, method="GET")
        return True
    except HTTPException:
        return False


def reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        print(f"PostgreSQL at {url.split('@')[-1]} not reachable ({type(exc).__name__}): "
              "skipped")
        return False


def build(url: str, sizes: list[int], seed: int):
    """Return an app on ``url`` with a fresh schema and the generated districts."""
    from healthwise import create_app
    from healthwise.checklists.registry import registry
    from healthwise.demo.generate import generate
    from healthwise.extensions import db

    if not url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_DATA": False,
                      "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench-district-secret-key-0123456789abcdef"})
    with app.app_context():
        db.create_all()
        last = [0.0]

        def progress(made, total):
            if made.seconds - last[0] >= 15 or made.facilities == total:
                last[0] = made.seconds
                print(f"  generating: {made.facilities}/{total} facilities, "
                      f"{made.answers:,} answers, {made.seconds:.0f} s", flush=True)

        made = generate(sizes, ROUNDS, PARTICIPANTS, registry(), seed=seed, progress=progress)
        db.session.remove()
    print(f"  generated {made.facilities} facilities, {made.assessments:,} rounds, "
          f"{made.answers:,} answers, {made.action_items:,} action items in "
          f"{made.seconds:.1f} s ({made.answers / made.seconds:,.0f} answers/s)")
    return app, made


def existing(url: str):
    """Return an app on an already generated database and its synthetic districts' sizes."""
    from types import SimpleNamespace

    from sqlalchemy import func

    from healthwise import create_app
    from healthwise.demo.generate import MARK
    from healthwise.extensions import db
    from healthwise.facilities.models import District, Facility

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_DATA": False,
                      "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench-district-secret-key-0123456789abcdef"})
    with app.app_context():
        found = db.session.execute(
            select(District.id, func.count(Facility.id)).join(Facility)
            .where(District.name.endswith(MARK)).group_by(District.id)
            .order_by(District.id)).all()
        total = db.session.scalar(select(func.count()).select_from(Facility))
        db.session.remove()
    print(f"  an existing database of {total} facilities; synthetic districts of "
          f"{sorted({n for _, n in found})} facilities")
    return app, SimpleNamespace(districts=[d for d, _ in found]), tuple(n for _, n in found)


def people(app, made, sizes: int):
    """Create a manager for each measured district; return (user, API token) per district."""
    from healthwise.auth.service import create_user
    from healthwise.devices.service import create_user_token
    from healthwise.extensions import db

    found = {}
    with app.app_context():
        db.session().expire_on_commit = False
        for district_id in made.districts[:sizes]:
            user = create_user(f"manager-{district_id}-{uuid.uuid4().hex[:8]}@bench.invalid",
                               "bench password 123",
                               "manager", [district_id])
            db.session.flush()
            _, secret = create_user_token(user, "bench")
            found[district_id] = (user, secret)
        db.session.commit()
    return found


def a_planned_round(app, district_id: int):
    """Return (facility id, round id) of a round with action items in the district."""
    from healthwise.assessments.models import ActionItem, Assessment
    from healthwise.extensions import db
    from healthwise.facilities.models import Facility

    with app.app_context():
        items, rounds = ActionItem.__table__, Assessment.__table__
        return db.session.execute(
            select(rounds.c.facility_id, rounds.c.id)
            .join(Facility.__table__, Facility.__table__.c.id == rounds.c.facility_id)
            .where(Facility.__table__.c.district_id == district_id,
                   rounds.c.id.in_(select(items.c.assessment_id)))
            .order_by(rounds.c.started_on.desc()).limit(1)).one()


def bench_database(label: str, url: str, sizes: list[int], measured: tuple[int, ...], runs: int,
                   seed: int) -> None:
    from healthwise.devices.service import create_device_token
    from healthwise.extensions import db

    print(f"\n== {label}")
    if measured:
        app, made = build(url, sizes, seed)
    else:  # --database: measure what is there, three districts at most
        app, made, measured = existing(url)
        measured = measured[:3]
    managers = people(app, made, len(measured))
    with app.app_context():
        statements = Statements(db.engine)
    routes = app.url_map.bind("localhost")
    urls = {name: pattern for name, pattern in OVERVIEW.items()
            if _routed(routes, pattern.format(district=1))}
    for name in OVERVIEW.keys() - urls.keys():
        print(f"  {name} ({OVERVIEW[name]}): no such route, skipped")
    results: dict[str, dict[int, dict]] = {name: {} for name in urls}
    print(f"  {'facilities':>10}  {'what':<15} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} "
          f"{'cpu p50':>8}")
    for district_id, size in zip(made.districts, measured, strict=False):
        user, secret = managers[district_id]
        page_client = signed_in(app, user)
        api_client = app.test_client()
        for name, pattern in urls.items():
            url_ = pattern.format(district=district_id)
            client, headers = ((page_client, None) if url_.startswith("/manage")
                               else (api_client, {"Authorization": f"Bearer {secret}"}))
            try:
                found = measure(client, url_, runs, statements, headers)
            except Exception:  # noqa: BLE001 - print and go on
                traceback.print_exc()
                continue
            results[name][size] = found
            print(f"  {size:>10}  {name:<15} {found['p50']:9.1f} {found['p95']:9.1f} "
                  f"{found['queries']:8d} {found['cpu']:8.1f}", flush=True)
    for name, by_size in results.items():
        ratios = []
        for small, big in zip(measured, measured[1:], strict=False):
            if small in by_size and big in by_size and big != small:
                growth = by_size[big]["p50"] / by_size[small]["p50"]
                tail = by_size[big]["p95"] / by_size[small]["p95"]
                ratios.append(f"{big}/{small}: time x{growth:.2f} at p50, x{tail:.2f} at p95 "
                              f"(facilities x{big / small:g}), queries "
                              f"{by_size[small]['queries']} -> {by_size[big]['queries']}")
        if ratios:
            print(f"  growth of the {name}: " + "; ".join(ratios))

    if _routed(routes, DISTRICT_PDF.format(district=1, lang="en").split("?")[0]):
        for district_id, size in zip(made.districts, measured, strict=False):
            client = signed_in(app, managers[district_id][0])
            found = measure(client, DISTRICT_PDF.format(district=district_id, lang="en"),
                            max(runs // 8, 3), statements)
            print(f"  district PDF, {size} facilities (en): p50 {found['p50']:.0f} ms, "
                  f"p95 {found['p95']:.0f} ms, {found['queries']} queries, "
                  f"{found['bytes'] / 1024:.0f} KiB", flush=True)

    middle = made.districts[1] if len(made.districts) > 1 else made.districts[0]
    facility_id, round_id = a_planned_round(app, middle)
    user, _secret = managers[middle]
    for pattern in FACILITY_PAGES:
        url_ = pattern.format(facility=facility_id)
        if not _routed(routes, url_):
            print(f"  facility page ({pattern}): no such route, skipped")
            continue
        found = measure(signed_in(app, user), url_, runs, statements)
        print(f"  facility page ({pattern}): p50 {found['p50']:.1f} ms, "
              f"p95 {found['p95']:.1f} ms, {found['queries']} queries")
    with app.app_context():
        _, phone_token = create_device_token(facility_id, "bench phone")
        db.session.commit()
    phone = app.test_client()
    for lang in ("en", "ar"):
        found = measure(phone, PLAN_PDF.format(assessment=round_id, lang=lang),
                        max(runs // 2, 3), statements,
                        {"Authorization": f"Bearer {phone_token}"})
        print(f"  plan PDF of a generated round ({lang}): p50 {found['p50']:.1f} ms, "
              f"p95 {found['p95']:.1f} ms, {found['queries']} queries, "
              f"{found['bytes'] / 1024:.0f} KiB")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="requests per URL and size")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--background", type=int, default=0,
                        help="more facilities, in districts of 200, that are not measured")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--database", help="measure this already generated database (a URL: "
                                           "`healthwise demo generate` made it) instead")
    args = parser.parse_args()
    measured = tuple(args.sizes)
    sizes = list(measured)
    if args.background:
        from healthwise.demo.generate import district_sizes

        sizes += district_sizes(args.background, math.ceil(args.background / 200))
    print("Command: .venv/bin/python benchmarks/bench_district.py "
          + shlex.join(sys.argv[1:]))
    made_here = "" if args.database else (
        f"Districts of {', '.join(map(str, measured))} facilities"
        + (f" and {args.background} more facilities" if args.background else "")
        + f", {ROUNDS} rounds of {PARTICIPANTS} participants; ")
    print(f"{made_here}{args.requests} requests per URL; times in ms (wall clock; shared "
          "machine: compare ratios).")
    databases = [("SQLite (temporary file)",
                  f"sqlite:///{Path(INSTANCE) / 'bench-district.db'}")]
    if args.database:
        databases, measured = [(args.database.split("/")[-1], args.database)], ()
    elif not args.no_postgres and reachable(POSTGRES):
        databases.append((f"PostgreSQL ({POSTGRES.split('/')[-1]})", POSTGRES))
    for label, url in databases:
        try:
            bench_database(label, url, sizes, measured, args.requests, args.seed)
        except Exception:  # noqa: BLE001 - a benchmark informs, it never fails a build
            traceback.print_exc()
            print(f"  {label}: benchmark failed (above); going on")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
    finally:
        import shutil

        shutil.rmtree(INSTANCE, ignore_errors=True)
    sys.exit(0)
