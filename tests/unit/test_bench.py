"""The benchmark's shape and correctness at tiny sizes (never its timings)."""

from __future__ import annotations

import json

from bench import run

BALLOT_KEYS = {
    "participants",
    "ballots",
    "errors",
    "throughput_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "lost",
    "duplicates",
    "raw_insert_per_s",
    "raw_batch_insert_per_s",
    "overhead_ratio",
}
MACHINE_KEYS = {"cores", "memory_gib", "python", "sqlalchemy", "pandas", "plotly", "streamlit", "kaleido", "date"}
PARAMETER_KEYS = {
    "participants",
    "themes",
    "threads",
    "tally_participants",
    "tally_themes",
    "tally_criteria",
    "big_themes",
    "repeats",
}
TALLY_KEYS = {"dots_ms", "score_ms", "rank_ms", "approval_ms", "themes_1000_ms"}
CHART_KEYS = {"gantt_500_ms", "png_warm_ms", "png_skipped"}
# A run small enough for a unit test; no PostgreSQL, no live server.
TINY = {
    "participants": 12,
    "themes": 6,
    "threads": 4,
    "pg_url": None,
    "tally_participants": 12,
    "tally_themes": 6,
    "tally_criteria": 2,
    "big_themes": 10,
    "repeats": 1,
    "live": False,
    "console": False,
}


def test_tiny_run_has_the_documented_shape_and_loses_nothing() -> None:
    result = run.collect(**TINY, gantt_activities=6, png=False)
    json.loads(json.dumps(result))  # serialisable as it is written
    assert set(result) == {"machine", "parameters", "ballots", "tally", "live", "console", "charts", "targets"}
    assert set(result["machine"]) == MACHINE_KEYS
    assert set(result["parameters"]) == PARAMETER_KEYS
    assert set(result["ballots"]) == {"sqlite", "postgresql"}
    assert result["ballots"]["postgresql"] == {"skipped": "not requested"}

    sqlite = result["ballots"]["sqlite"]
    assert set(sqlite) == BALLOT_KEYS
    assert sqlite["ballots"] == 24 and sqlite["errors"] == 0
    assert sqlite["lost"] == 0
    assert sqlite["duplicates"] == 0
    assert sqlite["throughput_per_s"] > 0 and sqlite["raw_insert_per_s"] > 0 and sqlite["raw_batch_insert_per_s"] > 0
    assert sqlite["p50_ms"] <= sqlite["p95_ms"] <= sqlite["p99_ms"]

    assert set(result["tally"]) == TALLY_KEYS
    assert all(v > 0 for v in result["tally"].values())
    assert result["live"] == {"measured": False, "reason": "not requested"}
    assert result["console"] == {"measured": False, "reason": "not requested"}
    charts = result["charts"]
    assert set(charts) == CHART_KEYS
    assert charts["gantt_500_ms"] > 0
    assert charts["png_warm_ms"] is None and charts["png_skipped"] == "not requested"
    assert set(result["targets"]) == set(run.TARGETS)

    text = run.summary(result)
    assert "ballots.sqlite.throughput_per_s" in text
    assert "ballots.postgresql: skipped (not requested)" in text
    assert "console: not measured (not requested)" in text
    assert "console.load_ms" in text and "target <= 2000 ms" in text
    assert ("met" in text) or ("missed" in text)


def test_unreachable_postgres_is_recorded_as_skipped() -> None:
    out = run.ballots_postgresql("postgresql+psycopg://nobody:x@127.0.0.1:1/none", 2, 2, 1)
    assert set(out) == {"skipped"}
    assert out["skipped"].startswith("PostgreSQL unreachable")


def test_skipped_charts_and_main_writes_json(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    calls = {}
    real_collect = run.collect

    def fake_collect(**kwargs):  # noqa: ANN003, ANN202
        calls.update(kwargs)
        return real_collect(**TINY, charts=False)

    monkeypatch.setattr(run, "collect", fake_collect)
    out = tmp_path / "bench.json"
    argv = ["--participants", "4", "--no-postgres", "--no-charts", "--console-sizes", "5,50", "--out", str(out)]
    assert run.main(argv) == 0
    assert calls["participants"] == 4 and calls["pg_url"] is None and calls["charts"] is False
    assert calls["console"] is True and calls["console_sizes"] == (5, 50) and calls["console_app"] is None
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["charts"] == {"skipped": "not requested"}
    assert data["ballots"]["sqlite"]["lost"] == 0
    assert "charts.gantt_500_ms" in capsys.readouterr().out


def test_bench_help_lists_the_bench_options_from_any_folder(tmp_path, monkeypatch, capfd) -> None:  # noqa: ANN001
    """The bench runs as its own process (capfd sees its output), found from outside the checkout too."""
    from edp.__main__ import main

    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--help"]) == 0
    out = capfd.readouterr().out
    for option in (
        "--participants",
        "--no-postgres",
        "--no-live",
        "--live-limit",
        "--no-live-replicas",
        "--no-console",
        "--console-app",
        "--out",
    ):
        assert option in out


def _level(n: int, p95: float, ack95: float, unconfirmed: int = 0) -> dict:
    errors = {
        "sessions_not_loaded": 0,
        "votes_not_clicked": 0,
        "votes_not_confirmed": unconfirmed,
        "ballots_missing": 0,
        "not_on_projector": 0,
        "exceptions": 0,
    }
    return {
        "participants": n, "p50_ms": p95 / 2, "p95_ms": p95, "ack_p50_ms": ack95 / 2, "ack_p95_ms": ack95,
        "cpu_percent": 90.0, "cpu_ms_per_vote": 11.5, "idle_cpu_percent": 0.7, "unconfirmed": unconfirmed,
        "errors": unconfirmed, "error_detail": errors,
    }  # fmt: skip


def test_the_summary_checks_each_levels_targets_and_reports_the_replicas() -> None:
    result = run.collect(**TINY)
    result["live"] = {
        "measured": True, "channel": "in-process", "levels": [_level(100, 450, 280), _level(300, 2500, 900, 1)],
        "default_settings": None, "rerun_cpu_ms": {"participant_page": 18, "participant_poll": 8, "floor": 3.6},
        "rss_mb": 260, "rss_per_session_kb": 16,
        "replicas": {
            "measured": True, "channel": "postgres-notify", "proxy": "nginx (docs/deploy.md)", "participants": 100,
            "p50_ms": 600, "p95_ms": 950, "ack_p50_ms": 700, "ack_p95_ms": 900, "cpu_percent": 96,
            "unconfirmed": 0, "errors": 0, "streams_by_replica": {"participants": {"A": 200}, "projector": {"B": 2}},
        },
    }  # fmt: skip
    text = run.summary(result)
    assert "targets at 100: vote->projector p95 <= 500 ms met, own confirmation p95 <= 300 ms met" in text
    assert "targets at 300: vote->projector p95 <= 2000 ms missed, own confirmation p95 <= 1000 ms met" in text
    assert "0 unconfirmed, 0 missing, 0 not on the projector: missed at 300" in text
    assert "100 on A, the projector on B: 600 / 950 ms" in text and "11.5 ms per vote" in text
    result["live"]["replicas"] = {"skipped": "not requested"}
    assert "across replicas: not measured (not requested)" in run.summary(result)


def test_without_the_checkouts_bench_the_command_says_so_in_one_line(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """An installed edp (a wheel) has no bench/ next to it: one line and exit 2, never a traceback."""
    import edp.__main__ as cli

    monkeypatch.setattr(cli, "BENCH", tmp_path / "bench")
    assert cli.main(["bench", "--participants", "4"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "source checkout" in captured.err
