"""python -m edp: demo, list, results, export ballots, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from edp.__main__ import main
from edp.models import HELIX_GROUPS

ROOT = Path(__file__).resolve().parents[2]


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo_db(engine, capsys):
    url = url_of(engine)
    code, out, _ = run(capsys, "--database", url, "demo")
    assert code == 0 and "JAMT26" in out
    listing = json.loads(run(capsys, "--database", url, "list", "--format", "json")[1])
    done = listing["processes"][0]["workshops"][0]
    return url, done["rounds"][0]["id"], done["rounds"][1]["id"]


def test_list_json_has_the_documented_shape(demo_db, capsys):
    url, _, _ = demo_db
    data = json.loads(run(capsys, "--database", url, "list", "--format", "json")[1])
    (proc,) = data["processes"]
    assert set(proc) == {"id", "title", "workshops", "roadmaps"}
    assert [r["title"] for r in proc["roadmaps"]] == [
        "Kulturarv som drivkraft för platsbaserad innovation",
        "En hållbar ökad livsmedelsproduktion och förädling",
    ]
    assert proc["title"] == "Upplevelser: kulturarv och kulturella och kreativa branscher"
    done, live = proc["workshops"]
    assert set(done) == {"id", "title", "join_code", "status", "rounds"}
    assert done["status"] == "closed" and [(r["seq"], r["method"], r["phase"]) for r in done["rounds"]] == [
        (1, "dots", "closed"),
        (2, "score", "closed"),
    ]
    assert live["join_code"] == "JAMT26" and live["status"] == "open"
    assert [(r["method"], r["phase"]) for r in live["rounds"]] == [("dots", "proposing")]
    text = run(capsys, "--database", url, "list")[1]
    assert "JAMT26" in text and "round" in text


def test_demo_results_are_the_real_tally(demo_db, capsys):
    url, dots_id, score_id = demo_db
    res = json.loads(run(capsys, "--database", url, "results", "--round", str(dots_id), "--format", "json")[1])
    assert {"round", "method", "participants", "ballots", "themes"} <= set(res)
    assert res["method"] == "dots" and res["participants"] == 26 and res["ballots"] == 24
    top = res["themes"][0]
    assert top["title"] == "Kulturarv som drivkraft för platsbaserad innovation"
    assert top["total"] == 16 and top["rank"] == 1 and len(top["merged_from"]) == 1
    assert [t["total"] for t in res["themes"][:6]] == [16, 15, 12, 11, 10, 9]
    for t in res["themes"]:
        assert {"theme_id", "title", "rank", "total", "voters", "by_helix", "balanced", "consensus"} <= set(t)
        assert set(t["by_helix"]) == {*HELIX_GROUPS, "other"}
    assert len(res["themes"]) == 20  # 21 proposed, one merged

    score = json.loads(run(capsys, "--database", url, "results", "--round", str(score_id))[1])
    assert score["method"] == "score" and score["ballots"] == 22 and len(score["themes"]) == 6
    assert [round(t["total"], 3) for t in score["themes"][:3]] == [19.727, 18.955, 18.636]


def test_results_csv_has_one_row_per_theme(demo_db, capsys):
    url, dots_id, _ = demo_db
    out = run(capsys, "--database", url, "results", "--round", str(dots_id), "--format", "csv")[1]
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 20 and frame["total"].iloc[0] == 16 and "helix_business" in frame.columns


def recount(ballots: pd.DataFrame, method: str, cap: int | None, weights: dict[str, float]) -> dict[int, float]:
    """An independent recount from the exported file alone."""
    if method == "dots":
        per = ballots.groupby(["ballot", "counted_theme_id"])["value"].sum().clip(upper=cap)
        return per.groupby("counted_theme_id").sum().to_dict()
    per = ballots.groupby(["ballot", "counted_theme_id", "criterion"])["value"].max().reset_index()
    per["weighted"] = per["value"] * per["criterion"].map(weights)
    by_voter = per.groupby(["ballot", "counted_theme_id"])["weighted"].sum()
    return by_voter.groupby("counted_theme_id").mean().to_dict()


def test_exported_ballots_recount_to_the_same_totals(demo_db, capsys, tmp_path):
    url, dots_id, score_id = demo_db
    for rid, cap in ((dots_id, 3), (score_id, None)):
        target = tmp_path / f"ballots-{rid}.csv"
        assert run(capsys, "--database", url, "export", "ballots", "--round", str(rid), "--output", str(target))[0] == 0
        ballots = pd.read_csv(target, keep_default_na=False)
        assert list(ballots.columns) == [
            "ballot",
            "helix",
            "theme_id",
            "counted_theme_id",
            "theme_title",
            "criterion",
            "value",
        ]
        res = json.loads(run(capsys, "--database", url, "results", "--round", str(rid))[1])
        weights = {c["name_en"]: c["weight"] for c in res["criteria"]}
        mine = recount(ballots, res["method"], cap, weights)
        theirs = {t["theme_id"]: t["total"] for t in res["themes"] if t["total"]}
        assert mine.keys() == theirs.keys()
        for tid, total in theirs.items():
            assert mine[tid] == pytest.approx(total, abs=1e-6)


def test_export_shows_merged_votes_as_voted_and_as_counted(demo_db, capsys):
    url, dots_id, _ = demo_db
    ballots = pd.read_csv(io.StringIO(run(capsys, "--database", url, "export", "ballots", "--round", str(dots_id))[1]))
    moved = ballots[ballots["theme_id"] != ballots["counted_theme_id"]]
    assert len(moved) > 0 and moved["counted_theme_id"].nunique() == 1


def test_anonymous_export_has_no_names_or_tokens(demo_db, capsys, engine):
    from sqlalchemy import select

    from edp.db import read
    from edp.models import Participant

    url, dots_id, _ = demo_db
    out = run(capsys, "--database", url, "export", "ballots", "--round", str(dots_id))[1]
    with read(engine) as s:
        people = s.execute(select(Participant.display_name, Participant.token_hash)).all()
    for name, token_hash in people:  # the database has no token to leak; not even its hash gets out
        assert name not in out and token_hash not in out


def test_demo_is_idempotent_and_reset_reloads(demo_db, capsys):
    url, _, _ = demo_db
    code, out, _ = run(capsys, "--database", url, "demo")
    assert code == 0 and "already loaded" in out
    code, out, _ = run(capsys, "--database", url, "demo", "--reset")
    assert code == 0 and "JAMT26" in out
    data = json.loads(run(capsys, "--database", url, "list", "--format", "json")[1])
    assert len(data["processes"]) == 1


def test_unknown_round_is_one_clear_line_and_non_zero(engine, capsys):
    url = url_of(engine)
    code, out, err = run(capsys, "--database", url, "--lang", "en", "results", "--round", "999")
    assert code != 0 and out == ""
    assert err == "error: The round does not exist.\n"
    code, _, err = run(capsys, "--database", url, "results", "--round", "999")
    assert err == "error: Omgången finns inte.\n"  # Swedish is the default


def _cli(*argv, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "edp", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_unreachable_database_gives_one_line_without_traceback():
    proc = _cli("--database", "postgresql+psycopg://edp:edp@127.0.0.1:1/nowhere", "list")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("error: database problem")


def test_database_option_wins_over_the_environment(tmp_path):
    good = tmp_path / "good.sqlite"
    proc = _cli(
        "--database",
        f"sqlite:///{good}",
        "db",
        "upgrade",
        env_extra={"EDP_DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:1/z"},
    )
    assert proc.returncode == 0, proc.stderr
    assert good.exists()


def test_bad_arguments_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["results", "--round", "abc"])
    assert info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_room_binds_to_the_network_and_uses_the_public_url(monkeypatch):
    from edp import room

    monkeypatch.setenv("EDP_PUBLIC_URL", "https://edp.example.se/")
    cmd, env, warnings = room.room_command(8600)
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0" and "8600" in cmd
    assert env["EDP_PUBLIC_URL"] == "https://edp.example.se" and warnings == []


def test_room_refuses_to_serve_the_venue_network_while_an_admin_has_the_demos_public_password(
    demo_db, capsys, monkeypatch
):
    from edp import room

    started = []
    monkeypatch.setattr(room, "main", lambda port: started.append(port) or 0)
    url, _, _ = demo_db
    code, _, err = run(capsys, "--database", url, "room", "--port", "8600")
    assert code == 2 and started == []
    assert "demo's published password" in err and "python -m edp user password demo" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("myrstack-lingon-2026\n"))
    assert run(capsys, "--database", url, "user", "password", "demo", "--password-stdin")[0] == 0
    assert run(capsys, "--database", url, "room", "--port", "8600")[0] == 0 and started == [8600]


def test_room_warns_when_the_join_address_is_loopback(monkeypatch):
    from edp import config, room

    monkeypatch.delenv("EDP_PUBLIC_URL", raising=False)
    monkeypatch.setattr(config, "lan_address", lambda: "127.0.0.1")
    _, env, warnings = room.room_command(8501)
    assert env["EDP_PUBLIC_URL"] == "http://127.0.0.1:8501"
    assert len(warnings) == 1 and "only reachable from this computer" in warnings[0]
