"""The facilitator's console through AppTest: sign-in, the phase button, advance, moderation,
turnout, paper ballots, priorities, and a participant's proposal reaching the console.

Every test has its own SQLite file (EDP_DATABASE_URL), and checks the database, not only the screen.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from edp import i18n, throttle
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.errors import PermissionDenied
from edp.live import round_all_themes, round_view, workshop_view
from edp.models import AuditEvent, Ballot, BallotEntry, Participant
from edp.queries import overview
from edp.throttle import Client
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.app.support import APP, TIMEOUT_S, as_organiser, ok, organiser_token
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
    other = ops.create_workshop(engine, SYSTEM, s.process_id, "Annan workshop", PASSCODE)
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


def test_the_passcode_form_offers_only_workshops_that_have_a_passcode(engine):
    s = make_setup(engine)
    ops.create_workshop(engine, SYSTEM, s.process_id, "Utan lösenkod")  # its leader opens it by account
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    assert [o.split(" – ")[0] for o in at.selectbox(key="fac-login-ws").options] == ["Testworkshop"]
    ops.set_workshop_passcode(engine, s.fac, "")
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/facilitate.py").run())
    assert not at.get("selectbox") and sv("ui.fac.no_workshops") in [i.value for i in at.info]


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
    for i in range(throttle.PASSCODES.per_scope.count):  # guesses from many browsers reach the workshop's cap
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, "wrong-wrong", client=Client(f"browser {i}"))
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
    assert not [sb for sb in at.selectbox if (sb.key or "").startswith("merge-into-")]  # none until asked for

    at = click(at, f"merge-open-{a}")
    [picker] = [sb for sb in at.selectbox if (sb.key or "").startswith("merge-into-")]
    assert picker.key == f"merge-into-{a}" and picker.options == ["Tema 2 · #2", "Tema 3 · #3"]
    at.selectbox(key=f"merge-into-{a}").set_value(b)
    at = ok(at.run())
    assert "Tema 2" in texts(at)
    assert sv("ui.fac.preview_round", seq=1, before="3", after="8", rank_before=2, rank_after=1) in captions(at)
    assert sv("ui.fac.preview_votes", dup_entries=2, dup_ballots=2, into_entries=2, into_ballots=2) in captions(at)
    assert statuses(engine, s.round_id) == {a: "active", b: "active", c: "active"}  # only a preview so far

    at = click(at, f"merge-confirm-{a}-{b}")
    assert statuses(engine, s.round_id) == {a: "merged", b: "active", c: "active"}
    assert next(r["total"] for r in round_results(engine, SYSTEM, s.round_id).themes if r["theme_id"] == b) == 8.0
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
    at = click(console(s), f"edit-open-{tid}")
    at.text_input(key=f"edit-{tid}-title").input("Mat och **förädling**")
    at = submit(at, sv("ui.fac.save_wording"))
    assert round_all_themes(engine, s.round_id)[0].title == "Mat och **förädling**"
    assert "Mat och **förädling**" in texts(at)  # shown literally
    assert f"edit-{tid}-title" not in {w.key for w in at.text_input}  # saved: the form is closed

    at = click(at, f"edit-open-{tid}")
    at.text_input(key=f"edit-{tid}-title").input("   ")
    at = submit(at, sv("ui.fac.save_wording"))
    assert [e.value for e in at.error] == [sv("input.required", field="Rubrik")]
    assert round_all_themes(engine, s.round_id)[0].title == "Mat och **förädling**"


def test_themes_are_locked_while_voting(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    at = console(s)
    assert sv("ui.fac.locked_while_voting") in [i.value for i in at.info]
    assert at.button(key=f"withdraw-{s.themes[0]}").disabled
    keys = {b.key for b in at.button}
    assert not {f"edit-open-{s.themes[0]}", f"merge-open-{s.themes[0]}"} & keys
    assert f"**{sv('ui.mod.dups_heading')}**" not in [m.value for m in at.markdown]  # no merge suggested


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


# ------------------------------------------------------------------ moderation with many themes

FLOOD = ["Hållbar turism i fjällen", "HÅLLBAR TURISM I FJÄLLEN", "I fjällen: hållbar tursim"]


def many_themes(engine, n: int, extra: list[str] = ()):
    """A round in review with n distinct proposals (Tema 1 ... Tema n) and `extra` after them, from
    a dozen participants."""
    s = make_setup(engine, participants={"business": 3, "academia": 3, "public": 3, "civil": 3})
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    for i, title in enumerate([f"Tema {i + 1}" for i in range(n)] + list(extra)):
        s.themes.append(ops.propose(engine, s.tokens[i % 12], s.round_id, ops.ThemeInput(title=title)).id)
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    return s


def cards(at: AppTest) -> list[int]:
    """Theme ids of the cards on the screen, in order (each card has exactly one title)."""
    return [int(k.split("-")[1]) for k in (b.key for b in at.button) if k.startswith("withdraw-")] + [
        int(k.split("-")[1]) for k in (b.key for b in at.button) if k.startswith(("restore-", "unmerge-"))
    ]


def test_many_themes_are_shown_a_page_at_a_time_with_no_picker_per_card(engine):
    s = many_themes(engine, 45)
    at = console(s)
    assert cards(at) == s.themes[:20]
    assert sv("ui.mod.showing", first=1, last=20, n=45) in captions(at)
    assert sv("ui.mod.page", page=1, pages=3) in captions(at)
    assert at.button(key="queue-prev").disabled
    # No merge picker or edit form until one is opened: the page does not grow with the square.
    assert not [sb for sb in at.selectbox if (sb.key or "").startswith("merge-into-")]
    assert not [w for w in at.text_input if (w.key or "").startswith("edit-")]

    at = click(at, "queue-next")
    assert cards(at) == s.themes[20:40]
    at = click(at, "queue-next")
    assert cards(at) == s.themes[40:]
    assert at.button(key="queue-next").disabled
    at = click(at, "queue-prev")
    assert cards(at) == s.themes[20:40]
    assert not at.error


def test_search_finds_a_theme_on_a_later_page_and_its_actions_work_there(engine):
    s = many_themes(engine, 45, extra=["Rennäring och besöksnäring"])
    rennaring = s.themes[-1]
    at = click(console(s), "queue-next")
    at.text_input(key="queue-search").input("RENNARING")  # case and diacritics do not matter
    at = ok(at.run())
    assert cards(at) == [rennaring]  # and back on the first page of the results
    assert sv("ui.mod.showing", first=1, last=1, n=1) in captions(at)
    at = click(at, f"withdraw-{rennaring}")
    assert statuses(engine, s.round_id)[rennaring] == "withdrawn"
    assert cards(at) == [rennaring] and at.button(key=f"restore-{rennaring}")

    at.selectbox(key="queue-status").set_value("active")
    at = ok(at.run())
    assert cards(at) == [] and sv("ui.mod.no_match") in [i.value for i in at.info]
    at.text_input(key="queue-search").input("")
    at = ok(at.run())
    assert len(cards(at)) == 20 and rennaring not in cards(at)


def test_a_search_the_engine_refuses_names_the_field_and_the_queue_stays_usable(engine):
    s = many_themes(engine, 25)
    at = console(s)
    at.text_input(key="queue-search").input("Tema\x07")
    at = ok(at.run())
    assert [e.value for e in at.error] == [sv("input.control_characters", field=sv("field.search"))]
    assert cards(at) == s.themes[:20]  # shown unsearched
    at.text_input(key="queue-search").input("Tema 25")
    at = ok(at.run())
    assert cards(at) == [s.themes[24]] and not at.error


def test_merge_from_a_suggestion_shows_the_preview_then_merges_the_group(engine):
    s = many_themes(engine, 30, extra=FLOOD)
    first, *dups = s.themes[-3:]
    at = console(s)
    assert "• " + "\n• ".join(FLOOD) in texts(at)  # the group, as plain text
    assert sv("ui.mod.dups_count", groups=1, themes=3) in captions(at)

    at = click(at, f"dup-open-{first}")
    assert at.selectbox(key=f"dup-keep-{first}").value == 0  # the wording proposed first
    assert at.multiselect(key=f"dup-members-{first}-0").value == [1, 2]
    assert sv("ui.fac.preview_no_ballots") in captions(at)
    assert "Hållbar turism i fjällen" in texts(at)  # the title kept, in the preview
    assert set(statuses(engine, s.round_id).values()) == {"active"}  # only a preview so far

    # Keep the second wording instead, and leave the typo out of the merge.
    at.selectbox(key=f"dup-keep-{first}").set_value(1)
    at = ok(at.run())
    at.multiselect(key=f"dup-members-{first}-1").set_value([0])
    at = ok(at.run())
    assert at.button(key=f"dup-merge-{first}").label == sv("ui.mod.group_confirm", n=2)
    at = click(at, f"dup-merge-{first}")
    after = statuses(engine, s.round_id)
    assert (after[first], after[dups[0]], after[dups[1]]) == ("merged", "active", "active")
    assert [th.merged_into_id for th in round_all_themes(engine, s.round_id) if th.id == first] == [dups[0]]
    assert sv("ui.mod.group_merged", n=2) in [m.value for m in at.success]
    # The typo is still suggested with the wording kept.
    assert "• HÅLLBAR TURISM I FJÄLLEN\n• I fjällen: hållbar tursim" in texts(at)
    assert not at.error


def test_a_flood_of_copies_is_one_line_per_wording_and_merges_in_one_step(engine):
    s = many_themes(engine, 3, extra=["Gratis kaffe", "GRATIS KAFFE"] * 12)
    copies = s.themes[3:]
    at = console(s)
    wording = sv("ui.mod.wording", title="Gratis kaffe", n=12), sv("ui.mod.wording", title="GRATIS KAFFE", n=12)
    assert f"• {wording[0]}\n• {wording[1]}" in texts(at)
    at = click(at, f"dup-open-{copies[0]}")
    assert at.selectbox(key=f"dup-keep-{copies[0]}").options == list(wording)
    assert at.button(key=f"dup-merge-{copies[0]}").label == sv("ui.mod.group_confirm", n=24)
    at = click(at, f"dup-merge-{copies[0]}")
    after = statuses(engine, s.round_id)
    assert [after[c] for c in copies] == ["active"] + ["merged"] * 23
    assert sv("ui.mod.dups_none") in captions(at)


def test_copies_of_one_wording_merge_without_anything_to_choose(engine):
    s = many_themes(engine, 2, extra=["Lokal mat"] * 3)
    first, *copies = s.themes[-3:]
    at = click(console(s), f"dup-open-{first}")
    assert f"dup-keep-{first}" not in {w.key for w in at.selectbox}
    assert not [m for m in at.multiselect if (m.key or "").startswith("dup-members-")]
    at = click(at, f"dup-merge-{first}")
    assert [th.merged_into_id for th in round_all_themes(engine, s.round_id) if th.id in copies] == [first, first]


def test_unmerge_from_the_queue_and_the_pair_is_not_suggested_again(engine):
    s = many_themes(engine, 25, extra=FLOOD[:2])
    a, b = s.themes[-2:]
    at = click(click(console(s), f"dup-open-{a}"), f"dup-merge-{a}")
    assert statuses(engine, s.round_id)[b] == "merged"
    assert sv("ui.mod.dups_none") in captions(at)

    at.selectbox(key="queue-status").set_value("merged")
    at = ok(at.run())
    assert cards(at) == [b]
    assert "Hållbar turism i fjällen" in texts(at)  # what it was merged into
    at = click(at, f"unmerge-{b}")
    assert statuses(engine, s.round_id)[b] == "active"
    assert sv("ui.fac.unmerged") in [m.value for m in at.success]
    assert sv("ui.mod.dups_none") in captions(at)  # the facilitator said they differ


def test_the_merge_picker_tells_equal_titles_apart(engine):
    s = many_themes(engine, 2, extra=["Lokal mat", "Lokal mat", "Lokal mat"])
    x, y, z = s.themes[-3:]
    at = click(console(s), f"merge-open-{x}")
    options = at.selectbox(key=f"merge-into-{x}").options
    assert options[-2:] == [f"Lokal mat · #{y}", f"Lokal mat · #{z}"]
    at.selectbox(key=f"merge-into-{x}").set_value(z)
    at = click(ok(at.run()), f"merge-confirm-{x}-{z}")
    assert [th.merged_into_id for th in round_all_themes(engine, s.round_id) if th.id == x] == [z]


def test_user_text_in_suggestions_and_the_picker_stays_plain(engine):
    hostile = ["**Fet** [länk](http://evil.example)", "**fet** [LÄNK](http://evil.example)"]
    s = many_themes(engine, 1, extra=hostile)
    at = click(console(s), f"dup-open-{s.themes[1]}")
    assert "• " + "\n• ".join(hostile) in texts(at)
    assert not [m for m in at.markdown if "evil.example" in m.value]
    assert not [c for c in at.caption if "evil.example" in c.value]


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
    assert not [m for m in at.multiselect if m.key == "prio-themes"]  # the editor opens when asked for
    at = click(at, "prio-edit")
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
    assert not [m for m in at.multiselect if m.key == "prio-themes"]  # saved: the editor is closed
    at = click(at, "prio-edit")
    assert at.multiselect(key="prio-themes").value == [b, a]
    assert c not in at.multiselect(key="prio-themes").value


def test_the_priority_editor_tells_equal_titles_apart(engine):
    s = many_themes(engine, 1, extra=["Lokal mat", "Lokal mat"])
    x, y = s.themes[-2:]
    at = click(console(s), "prio-edit")
    assert at.multiselect(key="prio-themes").options[-2:] == [f"Lokal mat · #{x}", f"Lokal mat · #{y}"]
    at.multiselect(key="prio-themes").set_value([y])
    at = submit(ok(at.run()), sv("ui.fac.prio_save"))
    [ws] = overview(engine)[0]["workshops"]
    assert [p["theme_id"] for p in ws["priorities"]] == [y]


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


# ------------------------------------------------------------------ rounds (the console's "more" tab)


def test_score_round_with_the_five_s3_criteria_is_added(engine):
    s = make_setup(engine)
    at = console(s)
    at.selectbox(key="more-round-method").set_value("score")
    at = ok(at.run())
    at = ok(at.button(key="more-round-s3").click().run())
    at.text_area(key="more-round-prompt").input("Bedöm temana mot kriterierna")
    at = ok(at.button(key="more-round-add").click().run())
    assert not at.error

    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    rv = round_view(engine, r2.id)
    assert (rv.method, rv.prompt) == ("score", "Bedöm temana mot kriterierna")
    assert [c.name_sv for c in rv.criteria] == [
        "Innovationspotential",
        "Kritisk massa",
        "Marknadspotential",
        "Koppling till regionens styrkeområden",
        "Internationell konnektivitet",
    ]
    assert {(c.weight, c.scale_min, c.scale_max) for c in rv.criteria} == {(1.0, 1, 5)}
    assert rv.criteria[0].description.startswith("Kan temat skapa")


def test_rank_round_is_added_with_its_count(engine):
    s = make_setup(engine)
    at = console(s)
    at.selectbox(key="more-round-method").set_value("rank")
    at = ok(at.run())
    at.number_input(key="more-round-rank").set_value(4)
    at = ok(at.button(key="more-round-add").click().run())
    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    assert (r2.method, round_view(engine, r2.id).rank_count) == ("rank", 4)


def test_score_round_without_criteria_is_refused_and_not_added(engine):
    s = make_setup(engine)
    at = console(s)
    at.selectbox(key="more-round-method").set_value("score")
    at = ok(at.run())
    at = ok(at.button(key="more-round-add").click().run())
    assert [e.value for e in at.error] == [sv("round.criteria_count", field="Kriterier", min=1, max=10)]
    assert len(workshop_view(engine, s.workshop_id).rounds) == 1


# ------------------------------------------------------------------ an organiser opens a console


def test_a_signed_in_facilitator_opens_the_console_of_their_workshop_only(engine):
    s = make_setup(engine)
    other = ops.create_workshop(engine, SYSTEM, s.process_id, "Annan workshop")
    at = as_organiser(organiser_token(engine, facilitates=s.workshop_id), "pages/facilitate.py")
    assert [b.key for b in at.button if b.key and b.key.startswith("fac-open-")] == [f"fac-open-{s.workshop_id}"]
    at = ok(at.button(key=f"fac-open-{s.workshop_id}").click().run())
    assert at.session_state["fac_workshop"] == s.workshop_id
    assert "Testworkshop" in texts(at)
    assert other.title not in texts(at)


def test_a_changed_passcode_is_saved_and_the_old_one_stops_working(engine):
    s = make_setup(engine)
    at = console(s)
    at.text_input(key="fac-pass-new-0").input("ny-lösenkod-för-rummet")
    at.text_input(key="fac-pass-again-0").input("ny-lösenkod-för-rummet")
    at = submit(at, sv("ui.fac.passcode_save"))
    assert sv("ui.fac.passcode_saved") in [m.value for m in at.success]
    with pytest.raises(PermissionDenied):
        ops.login_facilitator(engine, s.workshop_id, PASSCODE)
    assert ops.login_facilitator(engine, s.workshop_id, "ny-lösenkod-för-rummet")
