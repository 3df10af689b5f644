"""Facility registry import: a DHIS2 file at the largest size accepted (10,000 lines).

Prints, for a DHIS2-style export of 9,900 facilities in 99 districts (10,000 lines, the
most accepted; about 0.6 MB): the time to parse it (pure), to import it into an empty
database (one transaction), and to import it again (nothing changes, nothing is
written). Medians of a few runs, each on a database of its own; SQLite by default, any
SQLAlchemy URL with ``--database``.

It never fails a build: it prints and exits 0.

Example:
    .venv/bin/python benchmarks/bench_registry.py [--runs 3] [--database URL]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEALTHWISE_INSTANCE_DIR", tempfile.mkdtemp(prefix="hw-bench-"))


def export(n_districts: int = 99, per_district: int = 100) -> bytes:
    """Return an invented DHIS2 organisation-unit export (id, name, code, level, parent)."""
    lines = ["id,name,code,level,parent", "KV0000000001,Kanvara,KV,1,"]
    for d in range(n_districts):
        lines.append(f"D{d:010d},District {d},KV-{d:03d},2,KV0000000001")
        lines += [f"F{d:04d}{f:06d},Facility {d}-{f} CHC,KV-{d:03d}-{f:04d},3,D{d:010d}"
                  for f in range(per_district)]
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    from healthwise import create_app
    from healthwise.extensions import db
    from healthwise.facilities import importer, service

    data = export()
    print(f"$ python benchmarks/bench_registry.py --runs {args.runs}")
    print(f"file: {len(data) / 1e6:.2f} MB, 10,000 lines: 9,900 facilities in 99 districts")
    parse, first, again = [], [], []
    for run in range(args.runs):
        started = time.perf_counter()
        importer.parse(data)
        parse.append(time.perf_counter() - started)
        url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench-{run}.db"
        app = create_app({"TESTING": True, "SECRET_KEY": "b" * 40, "DEMO_DATA": False,
                          "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.drop_all()
            db.create_all()
            for timings in (first, again):
                started = time.perf_counter()
                summary = service.apply_import(importer.parse(data), None, True)
                db.session.commit()
                timings.append(time.perf_counter() - started)
            assert summary.unchanged == 9_900, summary
            db.session.remove()
            db.engine.dispose()
    print(f"parse (pure):        median {statistics.median(parse) * 1000:.0f} ms")
    print(f"import, empty db:    median {statistics.median(first):.2f} s (parse included)")
    print(f"import again:        median {statistics.median(again):.2f} s "
          "(parse included; nothing written)")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it never fails a build
        print(f"bench_registry failed: {exc!r}")
