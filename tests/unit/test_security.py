"""Security properties that are not behaviour of one operation: the shipped Streamlit settings,
and secrets that are stored only as hashes."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select

from edp import roadmaps as rmo
from edp import workshop as ops
from edp.db import read
from edp.models import ActorLink, FacilitatorSession, Workshop
from tests.factory import PASSCODE, make_setup

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_the_shipped_streamlit_config_is_closed_by_default():
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["address"] == "127.0.0.1"  # loopback unless `edp room` binds the venue network
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"].get("enableCORS", True) is True  # Streamlit's default; never switched off
    assert cfg["client"]["toolbarMode"] == "minimal"  # no developer menu in front of a room


def test_passcodes_facilitator_sessions_and_update_links_are_stored_only_as_hashes(engine):
    s = make_setup(engine)
    rid = rmo.create_roadmap(
        engine, s.process_id, {"title": "T", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    )
    rmo.save_goals(engine, rid, [{"title": "G"}])
    rmo.save_activities(engine, rid, [{"goal": "G", "title": "A", "start": "2026-02-01", "end": "2026-03-01",
                                       "lead_actor": s.actors["academia"]}])  # fmt: skip
    link = rmo.issue_links(engine, s.process_id)[s.actors["academia"]]
    fac = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
    with read(engine) as sess:
        stored = [
            *sess.scalars(select(Workshop.passcode_hash)),
            *sess.scalars(select(FacilitatorSession.token_hash)),
            *sess.scalars(select(ActorLink.token_hash)),
        ]
    for secret in (PASSCODE, fac, s.fac, link):
        assert all(secret not in value for value in stored)
    assert rmo.actor_work(engine, link).actor_id == s.actors["academia"]  # the hash still finds it
