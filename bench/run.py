"""Engine benchmark: a 200-participant dots round end to end, on SQLite and optionally PostgreSQL.

Measures wall time per phase and the tally's peak Python memory. Figures, not pass/fail.
Usage: python -m edp bench [--participants N] [--themes N] [--threads N] [--database URL ...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edp import workshop as ops
from edp.ballots import submit_ballot
from edp.db import make_engine, read, upgrade
from edp.models import HELIX_GROUPS
from edp.tally import load_round_input, tally

PASSCODE = "bench-passcode"


def _timed(fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def bench_one(url: str, participants: int, themes: int, threads: int) -> dict[str, float | str]:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(7)
    proc = ops.create_process(engine, f"Bench {time.time_ns()}")
    actors = [ops.add_actor(engine, proc.id, f"Aktör {g}", g).id for g in HELIX_GROUPS]
    ws = ops.create_workshop(engine, proc.id, "Bench", PASSCODE)
    fac = ops.login_facilitator(engine, ws.id, PASSCODE)
    rnd = ops.add_round(engine, fac, ops.RoundSpec(method="dots", dots_per_participant=5, max_dots_per_theme=3))
    ops.set_phase(engine, fac, rnd.id, "proposing")

    t0 = time.perf_counter()
    tokens = [ops.join(engine, ws.join_code, f"P{i}", actor_id=actors[i % 4]).token for i in range(participants)]
    join_s = time.perf_counter() - t0
    theme_ids = [
        ops.propose(engine, tokens[i % participants], rnd.id, ops.ThemeInput(f"Tema {i}")).id for i in range(themes)
    ]
    ops.set_phase(engine, fac, rnd.id, "reviewing")
    ops.set_phase(engine, fac, rnd.id, "voting")

    def ballot() -> dict[int, int]:
        alloc: dict[int, int] = {}
        for _ in range(5):
            t = rng.choice(theme_ids)
            if alloc.get(t, 0) < 3:
                alloc[t] = alloc.get(t, 0) + 1
        return alloc

    latencies: list[float] = []

    def vote(tok: str) -> None:
        _, dt_ = _timed(submit_ballot, engine, tok, rnd.id, ballot())
        latencies.append(dt_)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(vote, tokens))
        list(pool.map(vote, tokens))  # everyone replaces their ballot once
    vote_s = time.perf_counter() - t0
    ops.close_round(engine, fac, rnd.id)

    _, rev_s = _timed(lambda: [ops.revision(engine, ws.id) for _ in range(200)])
    with read(engine) as s:
        inp, load_s = _timed(load_round_input, s, rnd.id)
    tally_s = statistics.median(_timed(tally, inp)[1] for _ in range(5))
    tracemalloc.start()  # memory separately: tracing slows the code it watches
    tally(inp)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    lat = sorted(latencies)
    return {
        "database": engine.url.get_backend_name(),
        "join per participant (ms)": 1000 * join_s / participants,
        "ballots per second": 2 * participants / vote_s,
        "ballot latency p50 (ms)": 1000 * statistics.median(lat),
        "ballot latency p95 (ms)": 1000 * lat[int(0.95 * (len(lat) - 1))],
        "revision poll (ms)": 1000 * rev_s / 200,
        "load ballots (ms)": 1000 * load_s,
        "tally, median of 5 (ms)": 1000 * tally_s,
        "tally peak memory (KiB)": peak / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edp bench")
    p.add_argument("--participants", type=int, default=200)
    p.add_argument("--themes", type=int, default=20)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--database", action="append", default=[], help="extra database URL (e.g. PostgreSQL); repeatable")
    args = p.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{Path(tmp) / 'bench.sqlite'}", *args.database]
        rows = [bench_one(u, args.participants, args.themes, args.threads) for u in urls]
    keys = list(rows[0])
    width = max(len(k) for k in keys)
    print(
        f"{args.participants} participants, {args.themes} themes, {args.threads} threads; each submits and replaces a ballot"
    )
    for k in keys:
        cells = [f"{r[k]:>10.1f}" if isinstance(r[k], float) else f"{r[k]:>10}" for r in rows]
        print(f"{k:<{width}}  " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
