"""The facilitator's console through AppTest: sign-in, the phase button, advance, moderation,
turnout, paper ballots, priorities, and a participant's proposal reaching the console.

Every test has its own SQLite file (EDP_DATABASE_URL), and checks the database, not only the screen.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.ballots import submit_ballot
from edp.db import read
from edp.errors import PermissionDenied
from edp.live import round_all_themes, round_view, workshop_view
from edp.models import AuditEvent, Ballot, BallotEntry, Participant
from edp.queries import overview
from edp.tally import round_results
from tests.app.support import APP, TIMEOUT_S, ok
from tests.factory import PASSCODE, make_setup


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def console(s) -> AppTest:
    """The console, signed in as the setup's facilitator."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.session_state["fac_token"] = s.fac
    at.session_state["fac_workshop"] = s.workshop_id
    return ok(at.switch_page("pages/facilitate.py").run())


def click(at: AppTest, key: str) -> AppTest:
    return ok(at.button(key=key).click().run())


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return ok(button.click().run())


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def captions(at: AppTest) -> list[str]:
    return [e.value for e in at.caption]


def phase(engine, round_id: int) -> tuple[str, bool]:
    rv = round_view(engine, round_id)
    return rv.phase, rv.revealed


def statuses(engine, round_id: int) -> dict[int, str]:
    return {th.id: th.status for th in round_all_themes(engine, round_id)}


# ------------------------------------------------------------------ access


def test_login_with_the_right_passcode_opens_the_console(engine):
    s = make_setup(engine)
    other = ops.create_workshop(engine, s.process_id, "Annan workshop", PASSCODE)
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    assert "fac_token" not in at.session_state
    # Open workshops first, newest first: the other one is offered before ours.
    first, second = at.selectbox(key="fac-login-ws").options[:2]
    assert first.startswith(other.title) and second.startswith("Testworkshop")
    at.selectbox(key="fac-login-ws").set_value(s.workshop_id)
    at.text_input(key="fac-login-passcode").input(PASSCODE)
    at = submit(at, sv("ui.fac.login"))

    assert at.session_state["fac_workshop"] == s.workshop_id
    assert at.session_state["fac_token"]
    assert "Testworkshop" in texts(at)
    assert workshop_view(engine, s.workshop_id).join_code in [m.value for m in at.metric]
    assert sv("ui.fac.logged_in") in [m.value for m in at.success]
    assert not at.error


def test_wrong_passcode_shows_the_engines_message_and_signs_nobody_in(engine):
    s = make_setup(engine)
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    at.selectbox(key="fac-login-ws").set_value(s.workshop_id)
    at.text_input(key="fac-login-passcode").input("not-the-passcode")
    at = submit(at, sv("ui.fac.login"))

    assert [e.value for e in at.error] == [sv("auth.wrong_passcode")]
    assert "fac_token" not in at.session_state
    assert at.selectbox(key="fac-login-ws")  # still the login form
    with read(engine) as sess:
        assert sess.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "auth.failed")).all() == ["auth.failed"]


def test_throttled_login_shows_the_wait_message(engine):
    s = make_setup(engine)
    for _ in range(ops.LOGIN_FAILURES_ALLOWED):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, "wrong-wrong")
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    at.selectbox(key="fac-login-ws").set_value(s.workshop_id)
    at.text_input(key="fac-login-passcode").input(PASSCODE)  # even the right one is refused now
    at = submit(at, sv("ui.fac.login"))
    assert [e.value for e in at.error] == [sv("auth.throttled", minutes=5)]
    assert "fac_token" not in at.session_state


def test_sign_out_forgets_the_login(engine):
    s = make_setup(engine)
    at = click(console(s), "fac-signout")
    assert "fac_token" not in at.session_state
    assert at.selectbox(key="fac-login-ws")


def test_a_login_that_no_longer_holds_falls_back_to_the_sign_in_form(engine):
    s = make_setup(engine)
    s.fac = "a-token-from-a-wiped-database"
    at = console(s)
    assert [w.value for w in at.warning] == [sv("auth.facilitator_required")]
    assert "fac_token" not in at.session_state
    assert at.selectbox(key="fac-login-ws")


# ------------------------------------------------------------------ driving the phases


def test_phase_button_walks_a_round_from_draft_to_revealed(engine):
    s = make_setup(engine, participants={"business": 1, "civil": 1})
    rid = s.round_id
    at = console(s)
    assert at.button(key=f"fac-next-{rid}-draft").label == "Öppna för förslag"

    at = click(at, f"fac-next-{rid}-draft")
    assert phase(engine, rid) == ("proposing", False)
    theme = ops.propose(engine, s.tokens[0], rid, ops.ThemeInput(title="Kulturarv"))

    at = click(at, f"fac-next-{rid}-proposing")
    assert phase(engine, rid) == ("reviewing", False)

    at = click(at, f"fac-next-{rid}-reviewing")
    assert phase(engine, rid) == ("voting", False)
    submit_ballot(engine, s.tokens[1], rid, {theme.id: 2})
    at = ok(at.run())
    assert sv("ui.fac.ballots_so_far", n=1, of=2) in captions(at)

    # Closing asks first: the first click changes nothing.
    at = click(at, f"fac-next-{rid}-voting")
    assert phase(engine, rid) == ("voting", False)
    assert [w.value for w in at.warning if w.value == sv("ui.fac.close_confirm")]
    at = click(at, f"fac-close-yes-{rid}")
    assert phase(engine, rid) == ("closed", False)

    at = click(at, f"fac-reveal-{rid}")
    assert phase(engine, rid) == ("closed", True)
    assert at.button(key=f"fac-advance-{rid}")
    assert not at.error


def test_a_click_made_while_participants_write_is_not_lost(engine):
    """The live poll reruns the page when the workshop changed; that rerun must not eat the click."""
    s = make_setup(engine, participants={"civil": 2}, themes=1, phase="proposing")
    at = console(s)
    ops.propose(engine, s.tokens[1], s.round_id, ops.ThemeInput(title="Under tiden"))  # revision moves
    at = click(at, f"fac-next-{s.round_id}-proposing")
    assert phase(engine, s.round_id) == ("reviewing", False)
    assert "Under tiden" in texts(at)


def test_a_refusal_stays_on_screen_while_participants_write(engine):
    s = make_setup(engine, participants={"civil": 1}, phase="reviewing")  # no themes to vote on
    at = console(s)
    ops.join(engine, s.join_code, "Sen ankomst", actor_id=s.actors["business"])  # revision moves
    at = click(at, f"fac-next-{s.round_id}-reviewing")
    assert [e.value for e in at.error] == [sv("round.no_themes")]
    assert phase(engine, s.round_id) == ("reviewing", False)


def test_cancelling_the_close_keeps_voting_open(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=1, phase="voting")
    at = click(console(s), f"fac-next-{s.round_id}-voting")
    at = click(at, f"fac-close-no-{s.round_id}")
    assert phase(engine, s.round_id) == ("voting", False)
    assert at.button(key=f"fac-next-{s.round_id}-voting")


def test_a_stale_phase_button_does_nothing(engine):
    """A click on a button drawn for an earlier phase (a second laptop moved on) is not
    taken as a click on today's button."""
    s = make_setup(engine, participants={"civil": 1}, themes=1, phase="reviewing")
    at = console(s)
    ops.set_phase(engine, s.fac, s.round_id, "voting")  # elsewhere
    at.button(key=f"fac-next-{s.round_id}-reviewing").click()
    at = ok(at.run())
    assert phase(engine, s.round_id) == ("voting", False)
    assert not at.error


def test_reopen_proposals_and_live_results_are_secondary_actions(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=1, phase="reviewing")
    at = console(s)
    assert at.button(key=f"fac-reopen-{s.round_id}").proto.type == "tertiary"
    at = click(at, f"fac-reopen-{s.round_id}")
    assert phase(engine, s.round_id) == ("proposing", False)

    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    at = click(ok(at.run()), f"fac-live-{s.round_id}-False")
    assert round_view(engine, s.round_id).live_results is True


def test_advance_creates_round_two_with_the_top_k_scored_on_s3_criteria(engine):
    s = make_setup(engine, participants={"business": 2, "academia": 1}, themes=4, phase="voting")
    a, b, c, d = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {a: 3, b: 2})
    submit_ballot(engine, s.tokens[1], s.round_id, {b: 3, c: 1})
    submit_ballot(engine, s.tokens[2], s.round_id, {a: 1, d: 1})
    ops.close_round(engine, s.fac, s.round_id)
    ops.reveal_results(engine, s.fac, s.round_id)
    at = console(s)

    at.number_input(key=f"adv-k-{s.round_id}").set_value(2)
    at = ok(at.run())
    assert "1. Tema 2\n2. Tema 1" in texts(at)  # the shortlist shown before creating it
    at = click(at, f"adv-{s.round_id}-s3")  # score is the default method for round 2
    at = click(at, f"fac-advance-{s.round_id}")

    wv = workshop_view(engine, s.workshop_id)
    assert [(r.seq, r.method, r.phase) for r in wv.rounds] == [(1, "dots", "closed"), (2, "score", "draft")]
    r2 = round_view(engine, wv.rounds[1].id)
    assert r2.origin_round_id == s.round_id
    assert [th.id for th in r2.themes] == [b, a]
    assert [c.name_en for c in r2.criteria] == [
        "Innovation potential",
        "Critical mass",
        "Market potential",
        "Fit with the region's strengths",
        "International connectivity",
    ]
    assert r2.criteria[1].name_sv == "Kritisk massa"
    # The next step is round 2's review (a shortlist skips proposing).
    assert at.button(key=f"fac-next-{r2.id}-draft").label == "Starta granskning"
    at = click(at, f"fac-next-{r2.id}-draft")
    assert phase(engine, r2.id) == ("reviewing", False)


def test_advance_without_criteria_for_score_names_the_problem_and_adds_no_round(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    submit_ballot(engine, s.tokens[0], s.round_id, {s.themes[0]: 1})
    ops.close_round(engine, s.fac, s.round_id)
    ops.reveal_results(engine, s.fac, s.round_id)
    at = click(console(s), f"fac-advance-{s.round_id}")
    assert [e.value for e in at.error] == [sv("round.criteria_count", field="Kriterier", min=1, max=10)]
    assert len(workshop_view(engine, s.workshop_id).rounds) == 1


def test_add_round_from_scratch_with_dots(engine):
    s = make_setup(engine)
    at = console(s)
    at.number_input(key="more-round-dots").set_value(8)
    at.number_input(key="more-round-cap").set_value(4)
    at = click(ok(at.run()), "more-round-add")
    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    rv = round_view(engine, r2.id)
    assert (rv.method, rv.dots_per_participant, rv.max_dots_per_theme) == ("dots", 8, 4)


def test_the_facilitator_sets_the_proposal_cap_of_a_new_round(engine):
    s = make_setup(engine)
    at = console(s)
    cap = at.number_input(key="more-round-proposals")
    assert cap.label == "Förslag per deltagare" and cap.value == ops.PROPOSALS_PER_PARTICIPANT_DEFAULT
    assert (cap.min, cap.max) == (1, ops.PROPOSALS_PER_PARTICIPANT_MAX)
    cap.set_value(3)
    at = click(ok(at.run()), "more-round-add")
    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    assert round_view(engine, r2.id).proposals_per_participant == 3


def test_close_and_reopen_the_workshop(engine):
    s = make_setup(engine)
    at = click(console(s), "fac-ws-close")
    assert workshop_view(engine, s.workshop_id).is_open is False
    assert sv("ui.fac.workshop_is_closed") in [w.value for w in at.warning]
    click(at, "fac-ws-open")
    assert workshop_view(engine, s.workshop_id).is_open is True


# ------------------------------------------------------------------ moderation


def test_merge_shows_a_preview_then_merges_and_unmerges(engine):
    s = make_setup(engine, participants={"business": 2, "academia": 1}, themes=3, phase="voting")
    a, b, c = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {a: 3, c: 1})
    submit_ballot(engine, s.tokens[1], s.round_id, {b: 2})
    submit_ballot(engine, s.tokens[2], s.round_id, {a: 2, b: 1, c: 2})
    ops.close_round(engine, s.fac, s.round_id)
    at = console(s)

    at.selectbox(key=f"merge-into-{a}").set_value(b)
    at = ok(at.run())
    assert "Tema 2" in texts(at)
    assert sv("ui.fac.preview_round", seq=1, before="3", after="8", rank_before=2, rank_after=1) in captions(at)
    assert sv("ui.fac.preview_votes", dup_entries=2, dup_ballots=2, into_entries=2, into_ballots=2) in captions(at)
    assert statuses(engine, s.round_id) == {a: "active", b: "active", c: "active"}  # only a preview so far

    at = click(at, f"merge-confirm-{a}-{b}")
    assert statuses(engine, s.round_id) == {a: "merged", b: "active", c: "active"}
    assert next(r["total"] for r in round_results(engine, s.round_id).themes if r["theme_id"] == b) == 8.0
    assert sv("ui.fac.merged") in [m.value for m in at.success]

    at = click(at, f"unmerge-{a}")
    assert statuses(engine, s.round_id) == {a: "active", b: "active", c: "active"}
    assert not at.error


def test_withdraw_and_restore_a_theme(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="reviewing")
    at = click(console(s), f"withdraw-{s.themes[0]}")
    assert statuses(engine, s.round_id)[s.themes[0]] == "withdrawn"
    assert at.button(key=f"restore-{s.themes[0]}")
    click(at, f"restore-{s.themes[0]}")
    assert statuses(engine, s.round_id)[s.themes[0]] == "active"


def test_edit_wording_saves_and_an_empty_title_is_refused(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=1, phase="reviewing")
    tid = s.themes[0]
    at = console(s)
    at.text_input(key=f"edit-{tid}-title").input("Mat och **förädling**")
    at = submit(at, sv("ui.fac.save_wording"))
    assert round_all_themes(engine, s.round_id)[0].title == "Mat och **förädling**"
    assert "Mat och **förädling**" in texts(at)  # shown literally

    at.text_input(key=f"edit-{tid}-title").input("   ")
    at = submit(at, sv("ui.fac.save_wording"))
    assert [e.value for e in at.error] == [sv("input.required", field="Rubrik")]
    assert round_all_themes(engine, s.round_id)[0].title == "Mat och **förädling**"


def test_themes_are_locked_while_voting(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    at = console(s)
    assert sv("ui.fac.locked_while_voting") in [i.value for i in at.info]
    assert at.button(key=f"withdraw-{s.themes[0]}").disabled
    assert not [sb for sb in at.selectbox if (sb.key or "").startswith("merge-into-")]


def test_participants_proposal_appears_in_the_console(engine):
    s = make_setup(engine, participants={"business": 1})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    fac = console(s)
    assert "Rennäring och besöksnäring" not in texts(fac)

    part = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    part.query_params["p"] = s.tokens[0]
    part = ok(part.run())
    part.text_input(key=f"propose-{s.round_id}-0-title").input("Rennäring och besöksnäring")
    ok(part.button(key=f"propose-{s.round_id}-submit").click().run())

    fac = ok(fac.run())
    assert "Rennäring och besöksnäring" in texts(fac)
    assert sv("ui.fac.proposals_so_far", n=1) in captions(fac)


# ------------------------------------------------------------------ turnout


def test_turnout_flags_the_underrepresented_group_by_name(engine):
    s = make_setup(engine, participants={"business": 3, "academia": 3, "public": 3, "civil": 1}, themes=1)
    at = console(s)
    assert [w.value for w in at.warning] == [sv("ui.fac.underrepresented", groups="Civilsamhälle")]
    [table] = [d.value for d in at.dataframe]
    assert table["Deltagare"].tolist() == [3, 3, 3, 1]
    assert table["Förslag"].tolist() == [1, 0, 0, 0]


def test_turnout_warning_is_in_english_and_absent_when_balanced(engine, monkeypatch):
    # English through EDP_LANG: AppTest calls a selectbox's format_func outside the script run,
    # where session_state (and so the language chosen in it) is not available.
    monkeypatch.setenv("EDP_LANG", "en")
    s = make_setup(engine, participants={"business": 1, "academia": 1, "public": 1, "civil": 2})
    at = console(s)
    assert not [w for w in at.warning if "represented" in w.value]
    ops.join(engine, s.join_code, "x", actor_id=s.actors["business"])
    for _ in range(3):
        ops.join(engine, s.join_code, "y", actor_id=s.actors["academia"])
    at = ok(at.run())
    assert [w.value for w in at.warning] == [i18n.t("ui.fac.underrepresented", "en", groups="Public sector")]


# ------------------------------------------------------------------ paper ballots


def test_paper_participant_is_registered_and_their_ballot_entered(engine):
    s = make_setup(engine, participants={"business": 1}, themes=2, phase="voting")
    at = console(s)
    at.text_input(key="paper-name-0").input("Anna på papper")
    at.selectbox(key="paper-actor-0").set_value(s.actors["civil"])
    at = submit(at, sv("ui.fac.paper_register"))
    with read(engine) as sess:
        anna = sess.scalar(select(Participant).where(Participant.display_name == "Anna på papper"))
    assert anna is not None and anna.helix == "civil"
    assert at.selectbox(key="paper-who").value == anna.id

    key = f"paper-{anna.id}-{s.round_id}"
    at = click(at, f"{key}-plus-{s.themes[1]}")
    at = click(at, f"{key}-plus-{s.themes[1]}")
    at = click(at, f"{key}-submit")
    assert sv("ui.fac.paper_saved") in [m.value for m in at.success]
    with read(engine) as sess:
        entries = sess.execute(
            select(BallotEntry.theme_id, BallotEntry.value)
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.participant_id == anna.id)
        ).all()
        roles = sess.scalars(select(AuditEvent.role).where(AuditEvent.kind == "ballot.submitted")).all()
    assert [tuple(e) for e in entries] == [(s.themes[1], 2)]
    assert roles == ["facilitator"]


def test_paper_registration_without_an_organisation_is_refused(engine):
    s = make_setup(engine, themes=1, phase="voting")
    at = console(s)
    at.text_input(key="paper-name-0").input("Bertil")
    at = submit(at, sv("ui.fac.paper_register"))
    assert [e.value for e in at.error] == [sv("input.required", field="Organisation")]
    with read(engine) as sess:
        assert sess.scalar(select(Participant).where(Participant.display_name == "Bertil")) is None


# ------------------------------------------------------------------ priorities


def test_priorities_are_saved_in_the_chosen_order_with_their_texts(engine):
    s = make_setup(engine, participants={"business": 1, "civil": 1}, themes=3, phase="voting")
    a, b, c = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {a: 3, b: 1})
    submit_ballot(engine, s.tokens[1], s.round_id, {b: 1})
    ops.close_round(engine, s.fac, s.round_id)
    ops.reveal_results(engine, s.fac, s.round_id)
    at = console(s)
    ranked = at.multiselect(key="prio-themes").options
    assert ranked[0].startswith("Tema 1 (plats 1")

    at.multiselect(key="prio-themes").set_value([b, a])
    at = ok(at.run())
    at.text_area(key=f"prio-rat-{b}").input("Bred uppslutning i alla helixgrupper")
    at.text_area(key=f"prio-rec-{b}").input("Finansiera en förstudie 2026")
    at = submit(at, sv("ui.fac.prio_save"))

    [ws] = overview(engine)[0]["workshops"]
    assert [(p["rank"], p["theme_id"], p["rationale"], p["recommendation"]) for p in ws["priorities"]] == [
        (1, b, "Bred uppslutning i alla helixgrupper", "Finansiera en förstudie 2026"),
        (2, a, "", ""),
    ]
    assert "1. Tema 2" in texts(at) and "Finansiera en förstudie 2026" in texts(at)
    assert c not in at.multiselect(key="prio-themes").value


def test_login_offers_the_demo_passcode_only_while_it_is_the_public_default(engine, monkeypatch):
    from edp import demo

    demo.load(engine)
    monkeypatch.delenv("EDP_DEMO_PASSCODE", raising=False)
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    hint = sv("ui.fac.demo_hint", passcode="jamtland-demo")
    assert hint in captions(at)
    monkeypatch.setenv("EDP_DEMO_PASSCODE", "a-private-one")
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    assert not [c for c in captions(at) if "jamtland-demo" in c or "a-private-one" in c]
