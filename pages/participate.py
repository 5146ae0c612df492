"""The participant's page (?p=TOKEN): who they are, then what the current round asks of them:
wait, propose, watch the review, vote, or see the result. It follows the phase by itself."""

import streamlit as st

from edp import workshop as ops
from edp.errors import EdpError
from edp.events import Screen
from edp.live import ParticipantView, RoundView, participant_view, screen_state
from edp.ui import actions
from edp.ui.ballot import (
    ballot_form,
    has_unsent_ballot,
    participant_view_key,
    result_lines,
    show_stored_ballot,
    theme_fields,
    unsent_ballot,
)
from edp.ui.common import engine, t
from edp.ui.live import database_guard, drawn, follow
from edp.ui.results import cached_results
from edp.ui.session import participant_token
from edp.ui.text import plain, show_error
from edp.voting.ballots import submit_ballot

FLASH = "participant"  # the page's confirmation slot (edp.ui.actions.flash)


def flash(message: str) -> None:
    actions.flash(message, slot=FLASH)


def show_flash() -> None:
    actions.flash_slot(FLASH, key="participant-flash")


def live_key(workshop_id: int, participant_id: int) -> tuple:
    """What this page shows, for follow(): one query (the room's state and this participant's ballot)."""
    try:
        state = screen_state(engine(), workshop_id, participant_id)
    except EdpError:
        return ()
    return participant_view_key(state)


def proposing(token: str, me: ParticipantView, rnd: RoundView) -> None:
    areas = me.workshop.strength_areas
    st.subheader(t("ui.participant.propose_header"), anchor=False)
    st.caption(t("ui.participant.propose_intro"))
    cap = rnd.proposals_per_participant
    left = max(0, cap - len(me.proposals))
    with st.container(key=f"propose-{rnd.id}-left"):
        if left:
            st.caption(t("ui.participant.proposals_left", left=left, max=cap))
        else:
            st.info(t("ui.participant.proposals_none_left", max=cap), icon=":material/block:")
    # A new form key after each proposal gives an empty form; a refused one keeps what was typed.
    generation = st.session_state.setdefault(f"propose-gen-{rnd.id}", 0)
    with st.form(key=f"propose-{rnd.id}-{generation}"):
        data = theme_fields(areas, key=f"propose-{rnd.id}-{generation}")
        sent = st.form_submit_button(
            t("ui.participant.submit_proposal"), key=f"propose-{rnd.id}-submit", type="primary", width="stretch"
        )
    if sent:
        try:
            ops.propose(engine(), token, rnd.id, data)
        except EdpError as err:
            show_error(err)
        else:
            st.session_state[f"propose-gen-{rnd.id}"] = generation + 1
            flash(t("ui.participant.proposal_saved"))
    show_flash()

    if not me.proposals:
        return
    st.subheader(t("ui.participant.own_proposals"), anchor=False)
    st.caption(t("ui.participant.own_proposals_editable"))
    for th in me.proposals:
        with st.container(border=True, key=f"own-{th.id}"):
            plain(th.title, key=f"own-{th.id}-title", kind="strong")
            if th.description:
                plain(th.description, key=f"own-{th.id}-description")
            with st.expander(t("ui.participant.edit_proposal")), st.form(key=f"edit-{th.id}"):
                edited = theme_fields(areas, key=f"edit-{th.id}", initial=th)
                saved = st.form_submit_button(t("ui.participant.save_changes"), key=f"edit-{th.id}-save")
            if saved:
                try:
                    ops.edit_own_theme(engine(), token, th.id, edited)
                except EdpError as err:
                    show_error(err)
                else:
                    flash(t("ui.participant.proposal_updated"))


def reviewing(rnd: RoundView) -> None:
    st.caption(t("ui.participant.reviewing"))
    if not rnd.themes:
        st.info(t("ui.participant.no_themes"))
    for th in rnd.themes:
        with st.container(border=True, key=f"review-{th.id}"):
            plain(th.title, key=f"review-{th.id}-title", kind="strong")
            if th.description:
                plain(th.description, key=f"review-{th.id}-description")


def voting(token: str, me: ParticipantView, rnd: RoundView) -> None:
    key = f"ballot-{rnd.id}"
    st.session_state[f"{key}-stored"] = (me.ballot, me.ballot_saved_at)

    # A fragment: pressing the vote button reruns only the ballot, not the whole page. A room of
    # 300 votes within the same second; a full run of the page per vote is what it cannot afford.
    @st.fragment
    @database_guard
    def ballot() -> None:
        stored, saved_at = st.session_state.get(f"{key}-stored", (me.ballot, me.ballot_saved_at))
        choices = ballot_form(rnd, stored, key=key, confirm_unused=True)
        if choices is not None:
            try:
                sent = submit_ballot(engine(), token, rnd.id, choices)
            except EdpError as err:
                show_error(err)
            else:  # as stored, from the engine's answer: nothing read back
                stored = tuple((e.theme_id, e.criterion_id, e.value) for e in sent.entries)
                saved_at = sent.submitted_at
                st.session_state[f"{key}-stored"] = (stored, saved_at)
        show_stored_ballot(rnd, stored, key=key, saved_at=saved_at)
        if choices is not None and saved_at is not None:
            drawn(me.workshop.id, participant_view_key(me.workshop, saved_at), "ballot")

    ballot()


def late_ballots(token: str, me: ParticipantView) -> None:
    """A ballot whose button was pressed as its round left voting: the engine still gets it,
    and its refusal is shown, so a vote is never dropped without a word."""
    cur = me.workshop.current
    shown = cur.id if cur is not None and cur.phase == "voting" else None
    for r in me.workshop.rounds:
        if r.id != shown and (choices := unsent_ballot(f"ballot-{r.id}")) is not None:
            try:
                submit_ballot(engine(), token, r.id, choices)
            except EdpError as err:
                show_error(err)


def closed(me: ParticipantView, rnd: RoundView) -> None:
    if not rnd.results_visible:
        st.info(t("ui.participant.waiting_results"))
        return
    st.subheader(t("ui.participant.results_header"), anchor=False)
    try:
        results = cached_results(rnd.id, me.workshop.revision)
    except EdpError as err:
        show_error(err)
        return
    for theme_id, line in result_lines(results):
        plain(line, key=f"result-{theme_id}")


token = participant_token() or ""
try:
    if not st.session_state.get("arrived"):
        # Opening a personal link (a scanned registration card) counts as arriving; once per session.
        ops.claim_registration(engine(), token)
        st.session_state["arrived"] = True
    me = participant_view(engine(), token)
except EdpError as err:
    show_error(err)
    st.stop()
ws = me.workshop
# A ballot clicked just as its round left voting (its fragment was gone) waits in the session
# for a full run: late_ballots() sends it and shows the engine's answer.
cur = ws.current
follow(
    ws.id,
    lambda _drawn_at: live_key(ws.id, me.id),
    screen=Screen("participant", ws.id, me.id, others=cur is not None and cur.results_visible),
    seen_view=participant_view_key(ws, me.ballot_saved_at),
    rerun_if=has_unsent_ballot,
)

plain(ws.title, key="participant-workshop", kind="title")
st.caption(t("ui.participant.joined_as"))
who = [me.display_name, f"{me.actor_name} ({t(f'helix.{me.helix}')})" if me.actor_name else t(f"helix.{me.helix}")]
plain("\n".join(who), key="participant-who", kind="strong")
st.divider()

late_ballots(token, me)
if not ws.is_open:
    st.info(t("ui.participant.workshop_closed"))
rnd = ws.current
if rnd is None or rnd.phase == "draft":
    if ws.is_open:
        st.info(t("ui.participant.waiting"), icon=":material/hourglass_empty:")
    st.stop()

st.caption(t("ui.participant.round", seq=rnd.seq, method=t(f"method.{rnd.method}"), phase=t(f"phase.{rnd.phase}")))
if rnd.prompt:
    plain(rnd.prompt, key=f"round-{rnd.id}-prompt")
if rnd.phase == "proposing":
    proposing(token, me, rnd)
elif rnd.phase == "reviewing":
    reviewing(rnd)
elif rnd.phase == "voting":
    voting(token, me, rnd)
else:
    closed(me, rnd)
