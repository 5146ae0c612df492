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
from edp.access import SYSTEM
from edp.db import describe_db_error, make_engine, sqlite_path, upgrade
from edp.errors import EdpError, ValidationError
from edp.files import BACKUP_MAX_BYTES, MB
from edp.i18n import error_message
from edp.io import exporters


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
    print(
        f"organiser: {demo.DEMO_ORGANISER} / {demo.demo_password()} (an instance admin); "
        f"passcode of the demo workshops: {demo.demo_passcode()}"
    )
    return 0


def listing(engine: Engine) -> dict:
    from edp.queries import overview
    from edp.roadmap.views import roadmap_summaries

    keep_ws = ("id", "title", "join_code", "status", "rounds")
    return {
        "processes": [
            {
                "id": p["id"],
                "title": p["title"],
                "workshops": [{k: w[k] for k in keep_ws} for w in p["workshops"]],
                "roadmaps": [{"id": r.id, "title": r.title} for r in roadmap_summaries(engine, SYSTEM, p["id"])],
            }
            for p in overview(engine, all_join_codes=True)  # the operator's own listing
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


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path} ({len(data):,} bytes)")


def _text(data: bytes) -> str:
    """A text export as the commands print it: plain UTF-8, without the byte order mark that tells
    a spreadsheet opening a downloaded CSV its encoding (a pipe, and `--output`, never had one)."""
    return data.decode("utf-8-sig")


def _progress(fraction: float, text: str) -> None:
    print(f"  {fraction:4.0%} {text}", file=sys.stderr)


def _exporter(subject: str, fmt: str, out: str = "") -> exporters.Exporter:
    """The registered exporter of `--format fmt`; when the format writes two kinds of file (csv: one
    CSV or a ZIP of them), the one `out`'s extension names, else a one-line refusal naming both."""
    found = exporters.pick(subject, fmt, out)
    if found is None:
        kinds = exporters.for_format(subject, fmt)
        suffix = Path(out).suffix.lower()
        raise UserError(
            f"--format {fmt} writes {', or '.join(e.summary for e in kinds)}: name --out "
            f"{' or '.join(f'.{e.extension}' for e in kinds)}, not {suffix or 'without an extension'}"
        )
    return found


def cmd_export_roadmap(args: argparse.Namespace) -> int:
    """A roadmap's (or a whole process's) chart, data, calendar or steering-group deck."""
    from edp.io.imaging import page_size_of

    page_size = page_size_of(args.page_size)  # a bad page size is refused before anything is read or written
    exporter = _exporter("roadmap", args.format, args.out)  # so is a CSV to a name that is neither .csv nor .zip
    source = exporters.Source(_engine(args), SYSTEM, roadmap_id=args.roadmap, process_id=args.process)
    source.process  # noqa: B018 - read (and checked) first: a missing roadmap or process is named before anything else
    if exporter.scope == "roadmap" and args.roadmap is None:
        raise UserError(f"--format {args.format} exports one roadmap: give --roadmap ID")
    options = exporters.Options(
        lang=args.lang, chart=args.chart, color_by=args.color_by, page_size=page_size, progress=_progress
    )
    _write(args.out, exporter.render(source, options))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The follow-up report (uppföljningsrapport) of a process."""
    source = exporters.Source(_engine(args), SYSTEM, process_id=args.process)
    options = exporters.Options(lang=args.lang, progress=_progress)
    _write(args.out, _exporter("report", args.format, args.out).render(source, options))
    return 0


def cmd_import_roadmap(args: argparse.Namespace) -> int:
    from edp.files import read_capped
    from edp.roadmap import io as roadmap_io
    from edp.roadmap.operations import import_roadmap

    # Read at most the cap and a byte, whatever the file is: /dev/zero once grew this to 22.8 GB.
    data = read_capped(args.file, roadmap_io.MAX_BYTES)
    engine = _engine(args)
    rid = import_roadmap(engine, SYSTEM, args.process, roadmap_io.parse_xlsx(data), priority_id=args.priority)
    print(f"imported roadmap {rid}")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    """A round's tally on stdout; in CSV every text cell guarded as in the app's downloads."""
    source = exporters.Source(_engine(args), SYSTEM, round_id=args.round)
    sys.stdout.write(_text(_exporter("results", args.format).render(source, exporters.Options(lang=args.lang))))
    return 0


def cmd_export_ballots(args: argparse.Namespace) -> int:
    source = exporters.Source(_engine(args), SYSTEM, round_id=args.round)
    text = _text(_exporter("ballots", args.format).render(source, exporters.Options(lang=args.lang)))
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_room(args: argparse.Namespace) -> int:
    from edp import demo, room

    engine = _engine(args, may_create="file")
    upgrade(engine)
    if demo.public_admin(engine):
        print(
            f"error: an admin account signs in with the demo's published password ({demo.DEMO_PASSWORD_DEFAULT!r});\n"
            "on the venue network anyone in the room could sign in as that admin. Give it a password of\n"
            f"your own (python -m edp user password {demo.DEMO_ORGANISER}) or use a database without the demo.",
            file=sys.stderr,
        )
        return 2
    return room.main(args.port)


# The benchmark is the source checkout's bench/, next to the package: the wheel ships edp/ only.
BENCH = config.ROOT / "bench"


def cmd_bench(args: argparse.Namespace) -> int:
    """bench/run.py as its own process, so that edp never imports a folder outside the package.

    Its options pass through untouched. The checkout leads the child's path (-P keeps the caller's
    folder off it, so no other bench/ there can stand in), while the caller's folder stays the working
    directory: a relative --out or --console-app means what it did when the bench ran in-process."""
    import os
    import subprocess

    if not (BENCH / "run.py").is_file():
        print(
            f"error: the benchmark ships with the source checkout, not the installed package (no {BENCH / 'run.py'})",
            file=sys.stderr,
        )
        return 2
    path = os.pathsep.join(p for p in (str(BENCH.parent), os.environ.get("PYTHONPATH", "")) if p)
    child = subprocess.run(
        [sys.executable, "-P", "-m", "bench.run", *args.extra], env={**os.environ, "PYTHONPATH": path}
    )
    return child.returncode


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


# ---------------------------------------------------------------- setting up a region from nothing


def _password(args: argparse.Namespace, prompt: str = "password: ") -> str | None:
    """A password (_new_password); None with --no-password."""
    if getattr(args, "no_password", False):
        return None
    return _new_password(args, prompt)


def _new_password(args: argparse.Namespace, prompt: str = "password: ") -> str:
    """From --password-stdin (one line), else asked for without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _setup_engine(args: argparse.Namespace) -> Engine:
    """A region is set up from nothing: the database may be new (made and migrated, like `demo`)."""
    engine = _engine(args, may_create="file")
    upgrade(engine)
    return engine


def _user_id(engine: Engine, username: str) -> int:
    from edp.accounts import list_users, normalise_username

    name = normalise_username(username)
    found = next((u.id for u in list_users(engine, SYSTEM) if u.username == name), None)
    if found is None:
        raise UserError(f"no organiser account named {name}")
    return found


def cmd_user_add(args: argparse.Namespace) -> int:
    from edp import accounts

    engine = _setup_engine(args)
    uid = accounts.create_user(
        engine, SYSTEM, args.username, display_name=args.name or "", email=args.email or "",
        password=_password(args), is_admin=args.admin,
    )  # fmt: skip
    print(
        f"organiser account {uid} ({accounts.normalise_username(args.username)}) created"
        + (" as admin" if args.admin else "")
    )
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from edp.accounts import list_users

    for u in list_users(_setup_engine(args), SYSTEM):
        flags = ", ".join(f for f, on in (("admin", u.is_admin), ("disabled", not u.is_active), ("oidc", u.oidc)) if on)
        roles = "; ".join(f"{r} {'process' if p else 'workshop'} {p or w}" for _, r, p, w in u.grants)
        print(
            f"{u.id}: {u.username} ({u.display_name}){' [' + flags + ']' if flags else ''}{' – ' + roles if roles else ''}"
        )
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    from edp import accounts

    engine = _setup_engine(args)
    accounts.set_password(engine, SYSTEM, _user_id(engine, args.username), _new_password(args, "new password: "))
    print("password changed; the account's sessions have ended")
    return 0


def cmd_user_grant(args: argparse.Namespace) -> int:
    from edp import accounts

    engine = _setup_engine(args)
    gid = accounts.grant_role(
        engine, SYSTEM, _user_id(engine, args.username), args.role, process_id=args.process, workshop_id=args.workshop
    )
    print(f"role {args.role} granted (grant {gid})")
    return 0


def cmd_region(args: argparse.Namespace) -> int:
    from edp import region

    engine = _setup_engine(args)
    if args.name is None:
        r = region.region(engine)
        print("no region set (python -m edp region --name ...)" if r is None else
              f"{r.name}: {r.strategy_title} {r.period_start or ''}–{r.period_end or ''}")  # fmt: skip
        return 0
    region.set_region(
        engine, SYSTEM, args.name, strategy_title=args.strategy or "", period_start=args.start, period_end=args.end,
        description=args.description or "",
    )  # fmt: skip
    print(f"region set: {args.name}")
    return 0


def cmd_area_add(args: argparse.Namespace) -> int:
    from edp import region

    aid = region.create_strength_area(_setup_engine(args), SYSTEM, args.code, args.sv, args.en, args.description or "")
    print(f"strength area {aid} ({args.code.upper()}) added")
    return 0


def cmd_area_import(args: argparse.Namespace) -> int:
    from edp import region
    from edp.files import read_capped

    data = read_capped(args.file, region.MAX_FILE_BYTES)
    n = region.import_strength_areas(_setup_engine(args), SYSTEM, region.parse_strength_areas(data, args.file))
    print(f"{n} strength areas imported")
    return 0


def cmd_area_list(args: argparse.Namespace) -> int:
    from edp import region

    for a in region.strength_areas(_setup_engine(args)):
        print(f"{a.id}: {a.code} – {a.name_sv} / {a.name_en}")
    return 0


def cmd_process_add(args: argparse.Namespace) -> int:
    from edp import workshop

    engine = _setup_engine(args)
    leader = _user_id(engine, args.leader) if args.leader else None
    proc = workshop.create_process(
        engine, SYSTEM, args.title, description=args.description or "", financier=args.financier or "",
        period_start=args.start, period_end=args.end, strength_area_codes=args.areas or (), leader_user_id=leader,
    )  # fmt: skip
    print(f"process {proc.id} created" + (f" with process leader {args.leader}" if leader else ""))
    return 0


def cmd_actor_add(args: argparse.Namespace) -> int:
    from edp import workshop

    actor = workshop.add_actor(_setup_engine(args), SYSTEM, args.process, args.name, args.helix, args.municipality)
    print(f"actor {actor.id} added")
    return 0


def cmd_actor_import(args: argparse.Namespace) -> int:
    from edp.files import CSV_MAX_BYTES, read_capped
    from edp.imports import decode_csv, import_actors

    data = read_capped(args.file, CSV_MAX_BYTES)
    n = import_actors(_setup_engine(args), SYSTEM, args.process, decode_csv(data))
    print(f"{n} actors imported")
    return 0


BACKUP_MAX_MB = BACKUP_MAX_BYTES // MB


def _megabytes(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def program_name() -> str:
    """What the user typed to run the CLI, for its usage lines: the `edp` command, or python -m edp."""
    return "edp" if Path(sys.argv[0]).name == "edp" else "python -m edp"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=program_name(), description="EDP workshop engine")
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
    res.add_argument("--format", choices=exporters.formats("results"), default="json")
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
    b.add_argument("--format", choices=exporters.formats("ballots"), default="csv")
    b.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    b.set_defaults(func=cmd_export_ballots)
    r = expsub.add_parser("roadmap", help="a roadmap's Gantt/KPI chart, data, calendar or deck (or a process's)")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--roadmap", type=int, metavar="ID")
    which.add_argument("--process", type=int, metavar="ID", help="all roadmaps: portfolio chart, calendar, deck")
    r.add_argument("--format", choices=exporters.formats("roadmap"), required=True)
    r.add_argument("--out", required=True, metavar="PATH")
    r.add_argument("--chart", choices=("gantt", "kpis"), default="gantt", help="which chart of a roadmap")
    r.add_argument("--color-by", choices=("lead", "status"), default="lead", help="Gantt colours")
    r.add_argument(
        "--page-size", default="A4", metavar="A4|A3", help="PDF page, landscape: A4 (default) or A3 for a wall chart"
    )
    r.set_defaults(func=cmd_export_roadmap)

    rep = sub.add_parser("report", help="a process's follow-up report (uppföljningsrapport)")
    rep.add_argument("--process", type=int, required=True, metavar="ID")
    rep.add_argument("--format", choices=exporters.formats("report"), required=True)
    rep.add_argument("--out", required=True, metavar="PATH")
    rep.set_defaults(func=cmd_report)

    imp = sub.add_parser("import", help="import data")
    impsub = imp.add_subparsers(dest="import_command", required=True)
    ir = impsub.add_parser("roadmap", help="a roadmap from an XLSX file in the export layout")
    ir.add_argument("file", metavar="FILE.xlsx")
    ir.add_argument("--process", type=int, required=True, metavar="ID")
    ir.add_argument("--priority", type=int, metavar="ID", help="link it to this priority")
    ir.set_defaults(func=cmd_import_roadmap)

    us = sub.add_parser("user", help="organiser accounts")
    ussub = us.add_subparsers(dest="user_command", required=True)
    ua = ussub.add_parser("add", help="a new organiser account (asks for its password)")
    ua.add_argument("username")
    ua.add_argument("--name", help="the name shown")
    ua.add_argument("--email")
    ua.add_argument("--admin", action="store_true", help="an instance admin (sets up the region, grants roles)")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    ua.add_argument("--no-password", action="store_true", help="OpenID Connect sign-in only")
    ua.set_defaults(func=cmd_user_add)
    ussub.add_parser("list", help="accounts and their roles").set_defaults(func=cmd_user_list)
    up = ussub.add_parser("password", help="set a new password for an account (ends its sessions)")
    up.add_argument("username")
    up.add_argument("--password-stdin", action="store_true")
    up.set_defaults(func=cmd_user_password)
    ug = ussub.add_parser("grant", help="give an account a role")
    ug.add_argument("username")
    ug.add_argument("--role", choices=("process_leader", "observer", "facilitator"), required=True)
    where = ug.add_mutually_exclusive_group(required=True)
    where.add_argument("--process", type=int, metavar="ID", help="for process_leader and observer")
    where.add_argument("--workshop", type=int, metavar="ID", help="for facilitator")
    ug.set_defaults(func=cmd_user_grant)

    rg = sub.add_parser("region", help="show or set the region and its S3 strategy")
    rg.add_argument("--name", help="the region's name (without it: show)")
    rg.add_argument("--strategy", help="the S3 strategy's title")
    rg.add_argument("--start", type=int, metavar="YEAR")
    rg.add_argument("--end", type=int, metavar="YEAR")
    rg.add_argument("--description")
    rg.set_defaults(func=cmd_region)

    sa = sub.add_parser("strength-area", help="the region's strength areas (styrkeområden)")
    sasub = sa.add_subparsers(dest="area_command", required=True)
    saa = sasub.add_parser("add", help="a new strength area")
    saa.add_argument("code")
    saa.add_argument("--sv", required=True, help="name in Swedish")
    saa.add_argument("--en", required=True, help="name in English")
    saa.add_argument("--description")
    saa.set_defaults(func=cmd_area_add)
    sai = sasub.add_parser("import", help="areas from a CSV or XLSX file: code, name_sv, name_en[, description]")
    sai.add_argument("file", metavar="FILE")
    sai.set_defaults(func=cmd_area_import)
    sasub.add_parser("list", help="the strength areas").set_defaults(func=cmd_area_list)

    pr = sub.add_parser("process", help="processes")
    prsub = pr.add_subparsers(dest="process_command", required=True)
    pra = prsub.add_parser("add", help="a new process, with its process leader")
    pra.add_argument("title")
    pra.add_argument("--leader", metavar="USERNAME", help="the process leader's account")
    pra.add_argument("--areas", nargs="*", metavar="CODE", help="strength area codes")
    pra.add_argument("--description")
    pra.add_argument("--financier")
    pra.add_argument("--start", type=int, metavar="YEAR")
    pra.add_argument("--end", type=int, metavar="YEAR")
    pra.set_defaults(func=cmd_process_add)

    ac = sub.add_parser("actor", help="a process's actors")
    acsub = ac.add_subparsers(dest="actor_command", required=True)
    aca = acsub.add_parser("add", help="a new actor")
    aca.add_argument("name")
    aca.add_argument("--process", type=int, required=True, metavar="ID")
    aca.add_argument("--helix", choices=("business", "academia", "public", "civil"), required=True)
    aca.add_argument("--municipality")
    aca.set_defaults(func=cmd_actor_add)
    aci = acsub.add_parser("import", help="actors from a CSV file: name, helix[, municipality]")
    aci.add_argument("file", metavar="FILE.csv")
    aci.add_argument("--process", type=int, required=True, metavar="ID")
    aci.set_defaults(func=cmd_actor_import)

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
