"""Command line: python -m edp [--database URL] <command> ...

User errors print one line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError, ProgrammingError

from edp import config
from edp.db import describe_db_error, make_engine, sqlite_path, upgrade
from edp.errors import EdpError, ValidationError
from edp.files import BACKUP_MAX_BYTES, MB
from edp.i18n import error_message


class UserError(Exception):
    """A mistake in how the command was called; printed as one line."""


def _engine(args: argparse.Namespace, *, may_create: str = "") -> Engine:
    """The database of the command. A SQLite file must exist unless may_create is "file" (a
    command that migrates the database first: demo, restore, room) or "folder" (db upgrade,
    the only command that may also create the file's folder). A refused command creates nothing."""
    url = args.database or config.database_url()
    path = sqlite_path(url)
    if path is not None and may_create != "folder":
        if not path.parent.is_dir():
            raise ValidationError("cli.database_folder_missing", folder=str(path.parent))
        if not may_create and not path.exists():
            raise ValidationError("cli.database_missing", path=str(path))
    return make_engine(url, create_folder=may_create == "folder")


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    upgrade(_engine(args, may_create="folder"))
    print("database is up to date")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from edp import demo

    engine = _engine(args, may_create="file")
    upgrade(engine)
    if demo.is_loaded(engine):
        if not args.reset:
            print("the demo is already loaded (use --reset to reload it)")
            return 0
        demo.wipe(engine)
    s = demo.load(engine)
    print(
        f"demo loaded: process {s.process_id}; completed workshop {s.completed_workshop_id} "
        f"(dots round {s.dots_round_id}, score round {s.score_round_id}); "
        f"open workshop {s.open_workshop_id} with join code {s.join_code}"
    )
    print(f"facilitator passcode for the demo workshops: {demo.demo_passcode()}")
    return 0


def listing(engine: Engine) -> dict:
    from edp.queries import overview
    from edp.roadmap_views import roadmap_summaries

    keep_ws = ("id", "title", "join_code", "status", "rounds")
    return {
        "processes": [
            {
                "id": p["id"],
                "title": p["title"],
                "workshops": [{k: w[k] for k in keep_ws} for w in p["workshops"]],
                "roadmaps": [{"id": r.id, "title": r.title} for r in roadmap_summaries(engine, p["id"])],
            }
            for p in overview(engine)
        ]
    }


def cmd_list(args: argparse.Namespace) -> int:
    data = listing(_engine(args))
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not data["processes"]:
        print("no processes (load the demo with: python -m edp demo)")
    for p in data["processes"]:
        print(f"process {p['id']}: {p['title']}")
        for w in p["workshops"]:
            print(f"  workshop {w['id']}: {w['title']} [{w['status']}, join code {w['join_code']}]")
            for r in w["rounds"]:
                print(f"    round {r['id']} (#{r['seq']}): {r['method']}, {r['phase']}")
        for r in p["roadmaps"]:
            print(f"  roadmap {r['id']}: {r['title']}")
    return 0


IMAGE_FORMATS = ("png", "svg", "pdf", "html")
ROADMAP_FORMATS = (*IMAGE_FORMATS, "xlsx", "csv", "ics", "pptx")


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path} ({len(data):,} bytes)")


def _progress(fraction: float, text: str) -> None:
    print(f"  {fraction:4.0%} {text}", file=sys.stderr)


def cmd_export_roadmap(args: argparse.Namespace) -> int:
    """A roadmap's (or a whole process's) chart, data, calendar or steering-group deck."""
    from edp.roadmap_views import process_roadmaps, roadmap_view

    engine, fmt = _engine(args), args.format
    one = roadmap_view(engine, args.roadmap) if args.roadmap is not None else None
    pr = process_roadmaps(engine, one.process_id if one else args.process)
    if fmt in IMAGE_FORMATS:
        from edp import imaging, roadmap_charts

        if one is None:
            fig = roadmap_charts.portfolio_figure(pr, args.lang)
        elif args.chart == "kpis":
            fig = roadmap_charts.kpis_figure(one, args.lang)
        else:
            fig = roadmap_charts.gantt_figure(one, args.lang, color_by=args.color_by)
        _write(args.out, imaging.export_figure(fig, fmt))
    elif fmt in ("xlsx", "csv"):
        from edp import roadmap_io

        if one is None:
            raise UserError(f"--format {fmt} exports one roadmap: give --roadmap ID")
        _write(args.out, roadmap_io.to_xlsx(one) if fmt == "xlsx" else roadmap_io.to_csv_zip(one))
    elif fmt == "ics":
        from edp import roadmap_io

        _write(args.out, roadmap_io.to_ics([one] if one else pr.roadmaps, lang=args.lang))
    else:  # pptx: the steering-group deck, for the process or for one roadmap
        from edp import reports

        data = reports.report_data(engine, pr.process_id, args.lang)
        if one is not None:
            data = reports.only_roadmap(data, one.id)
        _write(args.out, reports.steering_deck(data, args.lang, progress=_progress))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The follow-up report (uppföljningsrapport) of a process."""
    from edp import reports

    data = reports.report_data(_engine(args), args.process, args.lang)
    build = reports.followup_docx if args.format == "docx" else reports.followup_pdf
    _write(args.out, build(data, args.lang, progress=_progress))
    return 0


def cmd_import_roadmap(args: argparse.Namespace) -> int:
    from edp import roadmap_io
    from edp.files import read_capped
    from edp.roadmaps import import_roadmap

    # Read at most the cap and a byte, whatever the file is: /dev/zero once grew this to 22.8 GB.
    data = read_capped(args.file, roadmap_io.MAX_BYTES)
    engine = _engine(args)
    rid = import_roadmap(engine, args.process, roadmap_io.parse_xlsx(data), priority_id=args.priority)
    print(f"imported roadmap {rid}")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from edp.exports import guard_frame
    from edp.tally import round_results

    result = round_results(_engine(args), args.round)
    if args.format == "json":
        print(result.to_json())
    else:  # text people typed, guarded as in the app's downloads: no cell a spreadsheet would run
        guard_frame(result.frame()).to_csv(sys.stdout, index=False)
    return 0


def cmd_export_ballots(args: argparse.Namespace) -> int:
    from edp.exports import ballot_rows, guard_frame

    rows = guard_frame(ballot_rows(_engine(args), args.round))
    if args.output:
        rows.to_csv(args.output, index=False)
    else:
        rows.to_csv(sys.stdout, index=False)
    return 0


def cmd_room(args: argparse.Namespace) -> int:
    from edp import room

    upgrade(_engine(args, may_create="file"))
    return room.main(args.port)


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.run import main as bench_main

    return bench_main(args.extra)


def cmd_backup(args: argparse.Namespace) -> int:
    from edp import backup

    stats = backup.backup(_engine(args), args.out)
    signed = " (signed with EDP_BACKUP_KEY)" if stats.signed else ""
    print(f"backed up {stats.rows:,} rows in {stats.tables} tables to {args.out}{signed}")
    if stats.bytes > BACKUP_MAX_BYTES:
        need = -(-stats.bytes // MB)
        print(f"note: the file is {need} MB; restore it with --max-mb {need}", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from edp import backup

    stats = backup.restore_file(
        _engine(args, may_create="file"), args.file, replace=args.replace, max_bytes=args.max_mb * MB,
        allow_unsigned=args.allow_unsigned,
    )  # fmt: skip
    print(f"restored {stats.rows:,} rows in {stats.tables} tables from {args.file}")
    return 0


BACKUP_MAX_MB = BACKUP_MAX_BYTES // MB


def _megabytes(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m edp", description="EDP workshop engine")
    p.add_argument("--database", metavar="URL", help="SQLAlchemy URL; wins over EDP_DATABASE_URL")
    p.add_argument("--lang", choices=config.LANGUAGES, default=config.default_lang(), help="language of error messages")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(func=cmd_db_upgrade)

    demo = sub.add_parser("demo", help="load the Region Jämtland Härjedalen demo")
    demo.add_argument("--reset", action="store_true", help="delete all data and load the demo again")
    demo.set_defaults(func=cmd_demo)

    ls = sub.add_parser("list", help="processes, workshops and rounds")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.set_defaults(func=cmd_list)

    res = sub.add_parser("results", help="a round's tally")
    res.add_argument("--round", type=int, required=True, metavar="ID")
    res.add_argument("--format", choices=("json", "csv"), default="json")
    res.set_defaults(func=cmd_results)

    room = sub.add_parser("room", help="serve the app to the devices in the room (venue network)")
    room.add_argument("--port", type=int, default=8501)
    room.set_defaults(func=cmd_room)

    # Its own options (and -h) are bench.run's: passed through untouched.
    bench = sub.add_parser("bench", help="run the benchmark (figures, not tests)", add_help=False)
    bench.set_defaults(func=cmd_bench)

    exp = sub.add_parser("export", help="export data")
    expsub = exp.add_subparsers(dest="export_command", required=True)
    b = expsub.add_parser("ballots", help="one row per ballot entry, pseudonymous")
    b.add_argument("--round", type=int, required=True, metavar="ID")
    b.add_argument("--format", choices=("csv",), default="csv")
    b.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    b.set_defaults(func=cmd_export_ballots)
    r = expsub.add_parser("roadmap", help="a roadmap's Gantt/KPI chart, data, calendar or deck (or a process's)")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--roadmap", type=int, metavar="ID")
    which.add_argument("--process", type=int, metavar="ID", help="all roadmaps: portfolio chart, calendar, deck")
    r.add_argument("--format", choices=ROADMAP_FORMATS, required=True)
    r.add_argument("--out", required=True, metavar="PATH")
    r.add_argument("--chart", choices=("gantt", "kpis"), default="gantt", help="which chart of a roadmap")
    r.add_argument("--color-by", choices=("lead", "status"), default="lead", help="Gantt colours")
    r.set_defaults(func=cmd_export_roadmap)

    rep = sub.add_parser("report", help="a process's follow-up report (uppföljningsrapport)")
    rep.add_argument("--process", type=int, required=True, metavar="ID")
    rep.add_argument("--format", choices=("docx", "pdf"), required=True)
    rep.add_argument("--out", required=True, metavar="PATH")
    rep.set_defaults(func=cmd_report)

    imp = sub.add_parser("import", help="import data")
    impsub = imp.add_subparsers(dest="import_command", required=True)
    ir = impsub.add_parser("roadmap", help="a roadmap from an XLSX file in the export layout")
    ir.add_argument("file", metavar="FILE.xlsx")
    ir.add_argument("--process", type=int, required=True, metavar="ID")
    ir.add_argument("--priority", type=int, metavar="ID", help="link it to this priority")
    ir.set_defaults(func=cmd_import_roadmap)

    bk = sub.add_parser("backup", help="the whole database as one JSON file")
    bk.add_argument("--out", required=True, metavar="FILE.json")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="load a backup file into the database (one transaction)")
    rs.add_argument("file", metavar="FILE.json")
    rs.add_argument("--replace", action="store_true", help="delete the database's data first")
    rs.add_argument(
        "--max-mb", type=_megabytes, default=BACKUP_MAX_MB, metavar="N",
        help=f"the largest file read in, in MB (default {BACKUP_MAX_MB})",
    )  # fmt: skip
    rs.add_argument(
        "--allow-unsigned", action="store_true",
        help="restore a file without a signature although EDP_BACKUP_KEY is set (see docs/security.md)",
    )  # fmt: skip
    rs.set_defaults(func=cmd_restore)
    return p


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame of the program itself (not of a library) that raised `exc`."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/edp/" in f.filename.replace("\\", "/")] or frames
    return f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except EdpError as exc:
        print(f"error: {error_message(exc, args.lang)}", file=sys.stderr)
        for where in getattr(exc, "rows", ()):  # RowErrors (row, error) and SheetErrors (sheet, row, error)
            *place, err = where
            print(f"  {' row '.join(str(p) for p in place)}: {error_message(err, args.lang)}", file=sys.stderr)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (ArgumentError, NoSuchModuleError):
        print("error: the database URL is not a valid SQLAlchemy URL (e.g. sqlite:///data/edp.sqlite)", file=sys.stderr)
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"error: database problem ({reason}); is EDP_DATABASE_URL right and migrated?", file=sys.stderr)
    except DBAPIError as exc:  # never str(exc): it holds the statement's parameters, i.e. row contents
        print(f"error: the database refused the change ({describe_db_error(exc)})", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - a CLI must not dump a traceback on a user
        # Only the kind and the place: an unexpected error's text may quote data (row contents).
        print(f"error: unexpected {type(exc).__name__} at {_where(exc)}", file=sys.stderr)
        return 70
    return 2


if __name__ == "__main__":
    sys.exit(main())
