"""Bench part c at a tiny size: a real Streamlit server, websocket participants and a projector.

Timings are never asserted here (they are the bench's figures); what is asserted is that the load
client really does what a room does: every participant loads their page, votes through the ballot's
own button, sees their ballot confirmed, and the projector's turnout reaches every vote, with the
shipped settings and with Streamlit's defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.live import bench_live, ladder

LIVE_KEYS = {
    "measured",
    "channel",
    "participants",
    "ack_p50_ms",
    "ack_p95_ms",
    "unconfirmed",
    "idle_cpu_percent",
    "p50_ms",
    "p95_ms",
    "rss_mb",
    "rss_per_session_kb",
    "cpu_percent",
    "errors",
    "max_participants_p95_le_2s",
    "max_participants_p95_le_2s_no_errors",
    "default_settings_p95_ms",
    "default_vs_shipped_p95",
    "rerun_cost_vs_floor",
    "poll_cost_vs_floor",
    "rerun_cpu_ms",
    "rerun_wall_ms",
    "levels",
    "default_settings",
    "click_spread_s",
}
NO_ERRORS = {
    "sessions_not_loaded": 0,
    "votes_not_clicked": 0,
    "votes_not_confirmed": 0,
    "ballots_missing": 0,
    "not_on_projector": 0,
    "exceptions": 0,
}


def test_ladder_steps_up_to_the_limit_and_always_holds_the_asked_size() -> None:
    assert ladder(300, 100, 600) == [25, 50, 100, 200, 300, 400, 500, 600]
    assert ladder(250, 100, 300) == [25, 50, 100, 200, 250, 300]
    assert ladder(4, 4, 4) == [1, 2, 4]
    assert ladder(4, 16, 4) == [4]


def test_tiny_live_run_votes_through_the_real_app_and_reports_every_figure() -> None:
    result = bench_live(4, step=16, limit=4, defaults=True, reruns=30)
    json.loads(json.dumps(result))
    assert set(result) == LIVE_KEYS
    assert result["measured"] is True and result["participants"] == 4
    assert result["channel"] == "in-process" and result["unconfirmed"] == 0

    (level,) = result["levels"]
    assert level["error_detail"] == NO_ERRORS
    assert result["errors"] == 0
    assert 0 < level["p50_ms"] <= level["p95_ms"] <= level["max_ms"]
    assert 0 < level["ack_p50_ms"] <= level["ack_p95_ms"]
    assert level["pushes"] >= 1, "the projector heard no vote by push"
    assert level["rss_mb"] > 50

    default = result["default_settings"]
    assert default["participants"] == 4
    assert default["error_detail"] == NO_ERRORS
    assert result["default_settings_p95_ms"] == default["p95_ms"] > 0

    costs = result["rerun_cpu_ms"]
    assert costs["floor"] > 0 and costs["participant_page"] > 0 and costs["participant_poll"] > 0
    assert result["rerun_cost_vs_floor"] == round(costs["participant_page"] / costs["floor"], 2)


def test_tiny_cross_replica_run_puts_the_room_on_a_and_the_projector_on_b_behind_nginx(pg_url) -> None:  # noqa: ANN001
    from bench.live import bench_replicas
    from bench.nginx import NGINX
    from tests.conftest import PG_URL, require_service

    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    require_service(Path(NGINX).exists(), "nginx (Debian package nginx-light)")
    result = bench_replicas(pg_url, 4)
    json.loads(json.dumps(result))
    assert result["measured"] is True and result["channel"] == "postgres-notify" and result["replicas"] == 2
    assert result["participants"] == 4 and result["error_detail"] == NO_ERRORS
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    # nginx's own log: every participant's page and stream went to A, the projector's to B.
    assert set(result["streams_by_replica"]) == {"participants", "projector"}
    assert set(result["streams_by_replica"]["participants"]) == {"A"}
    assert result["streams_by_replica"]["participants"]["A"] >= 2 * 4  # a page and a live stream each
    assert set(result["streams_by_replica"]["projector"]) == {"B"}
    assert result["pushes"] >= 1
