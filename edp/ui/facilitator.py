"""Widgets for the facilitator's pages (console and set-up): operation calls with their
messages, the phase driver, turnout, paper ballots, priorities, round and actor forms (the
moderation tab is edp/ui/moderation.py).

Every operation goes through `call`, which shows a refusal in the user's language where it
happened; a success is reported by `done` after a rerun, so the screen shows the new state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from edp import config, demo, voting
from edp import workshop as ops
from edp.accounts import open_console
from edp.errors import EdpError, RowErrors, ValidationError
from edp.live import RoundView, WorkshopView, participant_view, projector_key, round_view
from edp.models import HELIX_GROUPS
from edp.queries import overview, passcode_workshops
from edp.ui import methods
from edp.ui.actions import attempt, bump_nonce, flash, flash_slot, guard, nonce  # noqa: F401 - guard: the pages' section guard
from edp.ui.ballot import ballot_form, unsent_ballot
from edp.ui.common import engine, lang, t
from edp.ui.results import cached_results
from edp.ui.session import (
    client,
    facilitator_token,
    organiser_token,
    principal,
    sign_in_facilitator,
    sign_out_facilitator,
)
from edp.ui.text import plain, show_error
from edp.voting.ballots import submit_paper_ballot

FLASH = "fac"  # the console's and set-up's confirmation slot (edp.ui.actions.flash)
PAPER = "_fac_paper"  # paper participants registered in this browser session: id, name, token
CONFIRM_CLOSE = "_fac_confirm_close"
PRIO_EDITING = "_fac_prio_editing"


# ---------------------------------------------------------------- calling operations


def _refusal(err: EdpError) -> None:
    """An import's bad rows go to the caller, which lists them; any other refusal is shown here."""
    if isinstance(err, RowErrors):
        raise err
    show_error(err)


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(engine, *args) through edp.ui.actions.attempt: its value, or None once a refusal was shown."""
    return attempt(fn, *args, refusal=_refusal, **kwargs)[1]


def refuse(err: EdpError) -> None:
    """Show a check the page makes before calling the engine, worded like the engine's."""
    show_error(err)


def done(message_key: str, **params: Any) -> None:
    """Report success on the next run (which shows the new state) and rerun now."""
    flash(t(message_key, **params), slot=FLASH)


def show_flash() -> None:
    flash_slot(FLASH, key="fac-flash")


def num(value: float | None) -> str:
    if value is None:
        return "–"
    text = str(int(value)) if float(value).is_integer() else f"{value:.2f}"
    return text.replace(".", ",") if lang() == "sv" else text


def helix_label(group: str | None) -> str:
    return t(f"helix.{group}") if group else t("ui.fac.by_facilitator")


# ---------------------------------------------------------------- access


def workshop_choices(*, with_process: bool = False) -> list:
    """(workshop id, label) from the overview, open workshops first, newest first within each;
    with_process: (workshop id, label, process id)."""
    rows = []
    for proc in overview(engine()):
        for ws in proc["workshops"]:
            state = "" if ws["status"] == "open" else f" ({t('ui.workshop_closed').lower()})"
            when = f" · {ws['date']}" if ws["date"] else ""
            label = f"{ws['title']}{when} – {proc['title']}{state}"
            rows.append((ws["status"] != "open", -ws["id"], ws["id"], label, proc["id"]))
    rows.sort()
    if with_process:
        return [(wid, label, pid) for _, _, wid, label, pid in rows]
    return [(wid, label) for _, _, wid, label, _ in rows]


def login_panel() -> None:
    """A co-facilitator opens one workshop's console with its passcode."""
    st.subheader(t("ui.fac.login_heading"))
    with_passcode = passcode_workshops(engine())
    choices = [(wid, label) for wid, label in workshop_choices() if wid in with_passcode]
    if not choices:
        st.info(t("ui.fac.no_workshops"))
        return
    labels = dict(choices)
    with st.form("fac-login"):
        wid = st.selectbox(
            t("ui.fac.workshop"),
            list(labels),
            format_func=labels.__getitem__,
            key="fac-login-ws",
            placeholder=t("ui.choose"),
        )
        passcode = st.text_input(t("field.passcode"), type="password", key="fac-login-passcode")
        if st.form_submit_button(t("ui.fac.login"), type="primary"):
            token = call(ops.login_facilitator, wid, passcode, client=client())
            if token:
                sign_in_facilitator(wid, token)
                st.session_state.pop(PAPER, None)
                done("ui.fac.logged_in")
    if demo.is_loaded(engine()) and demo.demo_passcode() == demo.DEMO_PASSCODE_DEFAULT:
        # The demo's passcode is public on purpose; a deployment that sets its own never shows it.
        st.caption(t("ui.fac.demo_hint", passcode=demo.DEMO_PASSCODE_DEFAULT))


def open_workshop_console(workshop_id: int, *, switch: bool = True) -> None:
    """Open a workshop's console for the signed-in organiser (the engine checks the role), then show it."""
    token = call(open_console, organiser_token(), workshop_id)
    if token:
        sign_in_facilitator(workshop_id, token)
        st.session_state.pop(PAPER, None)
        if switch:
            st.switch_page("pages/facilitate.py")
        st.rerun()


def organiser_consoles() -> None:
    """The workshops the signed-in organiser may run, each with a button that opens its console."""

    p = principal()
    if p is None:
        return
    st.subheader(t("ui.fac.your_workshops"))
    mine = [(wid, label) for wid, label, pid in workshop_choices(with_process=True) if p.may_facilitate(wid, pid)]
    if not mine:
        st.info(t("ui.fac.no_workshops_of_yours"))
    for wid, label in mine:
        left, right = st.columns([4, 1])
        left.text(label)
        if right.button(t("ui.setup.open_console"), key=f"fac-open-{wid}", icon=":material/tune:"):
            open_workshop_console(wid, switch=False)


def sign_out_button() -> None:
    if st.button(t("ui.fac.sign_out"), key="fac-signout", icon=":material/logout:"):
        sign_out_facilitator()
        st.session_state.pop(PAPER, None)
        st.rerun()


# ---------------------------------------------------------------- header


def console_header(wv: WorkshopView) -> None:
    left, right = st.columns([3, 2])
    with left:
        plain(wv.title, key="ws-title", kind="title")
        facts = " · ".join(x for x in (wv.process_title, str(wv.date or ""), wv.venue) if x)
        plain(facts, key="ws-facts")
        base = config.public_url(st.get_option("server.port"))
        key = projector_key(engine(), facilitator_token())
        st.link_button(t("ui.fac.open_projector"), f"{base}/?projector={key}", icon=":material/tv:")
        st.caption(t("ui.fac.join_link"))
        st.code(f"{base}/?join={wv.join_code}", language=None)
        if config.is_loopback(base):
            st.warning(t("ui.fac.loopback"))
    with right:
        # A join code is letters and digits only (edp.security.normalise_join_code): no Markdown.
        st.metric(t("ui.fac.join_code"), wv.join_code)
        sign_out_button()
    if not wv.is_open:
        st.warning(t("ui.fac.workshop_is_closed"), icon=":material/lock:")


# ---------------------------------------------------------------- the phase driver


def focus_round(wv: WorkshopView) -> RoundView | None:
    """The round the next step is about: the current one, unless it is closed and revealed
    and a later round waits in draft (e.g. one made by advance), or none has started yet."""
    cur = wv.current
    later_draft = next((r for r in wv.rounds if r.phase == "draft" and (cur is None or r.seq > cur.seq)), None)
    if cur is not None and not (cur.phase == "closed" and cur.revealed and later_draft is not None):
        return cur
    return round_view(engine(), later_draft.id) if later_draft else None


def round_caption(rv: RoundView) -> str:
    return t("ui.round_line", seq=rv.seq, method=t(f"method.{rv.method}"), phase=t(f"phase.{rv.phase}"))


def phase_driver(wv: WorkshopView, rv: RoundView | None) -> None:
    """One primary button for the next step of the focus round, its few secondary actions below."""
    fac = facilitator_token()
    with st.container(border=True, key="phase-driver"):
        if rv is None:
            st.info(t("ui.fac.no_rounds"))
            return
        st.subheader(round_caption(rv))
        if rv.prompt:
            plain(rv.prompt, key=f"round-{rv.id}-prompt")
        if rv.phase == "draft":
            _draft_controls(rv, fac)
        elif rv.phase == "proposing":
            st.caption(t("ui.fac.proposals_so_far", n=wv.counts.total_proposals))
            _phase_button(rv, fac, "reviewing", "ui.fac.start_review", f"fac-next-{rv.id}-proposing")
        elif rv.phase == "reviewing":
            st.caption(t("ui.fac.themes_on_ballot", n=len(rv.themes)))
            _phase_button(rv, fac, "voting", "ui.fac.open_voting", f"fac-next-{rv.id}-reviewing")
            _phase_button(rv, fac, "proposing", "ui.fac.reopen_proposals", f"fac-reopen-{rv.id}", primary=False)
        elif rv.phase == "voting":
            _voting_controls(wv, rv, fac)
        else:
            _closed_controls(wv, rv, fac)


def _phase_button(
    rv: RoundView, fac: str | None, target: str, label: str, key: str, *, primary: bool = True, icon: str | None = None
) -> None:
    """A button (primary, else tertiary) that moves the round to phase `target`."""
    if st.button(t(label), type="primary" if primary else "tertiary", key=key, icon=icon) and call(
        ops.set_phase, fac, rv.id, target
    ):
        done("ui.fac.phase_changed", phase=t(f"phase.{target}"))


def _draft_controls(rv: RoundView, fac: str | None) -> None:
    """A round carried forward starts with its review; a new one opens for proposals."""
    if rv.origin_round_id:
        st.caption(t("ui.fac.carried_forward", n=len(rv.themes)))
        target, label = "reviewing", "ui.fac.start_review"
    else:
        target, label = "proposing", "ui.fac.open_proposals"
    _phase_button(rv, fac, target, label, f"fac-next-{rv.id}-draft", icon=":material/play_arrow:")


def _closed_controls(wv: WorkshopView, rv: RoundView, fac: str | None) -> None:
    """A closed round: reveal its results; once revealed, carry its top themes forward, or hide them again."""
    if not rv.revealed:
        if st.button(
            t("ui.fac.reveal"), type="primary", key=f"fac-reveal-{rv.id}", icon=":material/visibility:"
        ) and call(ops.reveal_results, fac, rv.id, True):
            done("ui.fac.revealed")
        return
    advance_panel(wv, rv)
    if st.button(t("ui.fac.hide_results"), type="tertiary", key=f"fac-hide-{rv.id}") and call(
        ops.reveal_results, fac, rv.id, False
    ):
        done("ui.fac.hidden")


def _voting_controls(wv: WorkshopView, rv: RoundView, fac: str) -> None:
    st.caption(t("ui.fac.ballots_so_far", n=wv.counts.total_ballots, of=wv.counts.total_participants))
    if st.session_state.get(CONFIRM_CLOSE) == rv.id:
        st.warning(t("ui.fac.close_confirm"), icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button(t("ui.fac.close_yes"), type="primary", key=f"fac-close-yes-{rv.id}"):
            st.session_state.pop(CONFIRM_CLOSE, None)
            if call(ops.close_round, fac, rv.id):
                done("ui.fac.phase_changed", phase=t("phase.closed"))
        if no.button(t("ui.fac.cancel"), key=f"fac-close-no-{rv.id}"):
            st.session_state.pop(CONFIRM_CLOSE, None)
            st.rerun()
    elif st.button(t("ui.fac.close_voting"), type="primary", key=f"fac-next-{rv.id}-voting", icon=":material/stop:"):
        st.session_state[CONFIRM_CLOSE] = rv.id
        st.rerun()
    live_key = "ui.fac.live_results_off" if rv.live_results else "ui.fac.live_results_on"
    if st.button(t(live_key), type="tertiary", key=f"fac-live-{rv.id}-{rv.live_results}") and call(
        ops.set_live_results, fac, rv.id, not rv.live_results
    ):
        done("ui.fac.live_results_changed")


def advance_panel(wv: WorkshopView, rv: RoundView) -> None:
    """Carry the top K of a closed, revealed round into a new round."""
    st.markdown(f"**{t('ui.fac.advance_heading')}**")
    ranking = cached_results(rv.id, wv.revision, facilitator_token())["themes"]
    k = st.number_input(t("field.top_k"), 1, 100, min(3, max(1, len(ranking))), key=f"adv-k-{rv.id}")
    if ranking:
        cut = ranking[min(k, len(ranking)) - 1]["rank"]
        chosen = [r for r in ranking if r["rank"] <= cut]
        st.caption(t("ui.fac.advance_goes_through", n=len(chosen)))
        plain("\n".join(f"{r['rank']}. {r['title']}" for r in chosen), key=f"adv-list-{rv.id}")
    spec = round_spec_inputs(f"adv-{rv.id}", default_method="score")
    if st.button(t("ui.fac.advance"), type="primary", key=f"fac-advance-{rv.id}", icon=":material/fast_forward:"):
        new = call(ops.advance, facilitator_token(), rv.id, int(k), spec)
        if new:
            done("ui.fac.advanced", seq=new.seq)


# ---------------------------------------------------------------- round settings


def round_spec_inputs(key: str, *, default_method: str = "dots", with_prompt: bool = False) -> ops.RoundSpec:
    """Method and its settings; returns the spec as the widgets stand (the engine checks it)."""
    method = st.selectbox(
        t("field.method"),
        voting.names(),
        index=voting.names().index(default_method),
        format_func=lambda m: t(f"method.{m}"),
        key=f"{key}-method",
        placeholder=t("ui.choose"),
    )
    prompt = st.text_area(t("field.prompt"), key=f"{key}-prompt") if with_prompt else ""
    proposals = int(
        st.number_input(
            t("field.proposals_per_participant"),
            1,
            ops.PROPOSALS_PER_PARTICIPANT_MAX,
            ops.PROPOSALS_PER_PARTICIPANT_DEFAULT,
            key=f"{key}-proposals",
            help=t("ui.fac.proposals_per_participant_help", max=ops.PROPOSALS_PER_PARTICIPANT_MAX),
        )
    )
    # The method's own settings come from its form (edp/ui/methods); the engine checks them.
    return ops.RoundSpec(method, prompt, proposals_per_participant=proposals, **methods.form(method).settings(key))


def add_round_form(key: str) -> None:
    with st.container(border=True, key=f"{key}-box"):
        st.markdown(f"**{t('ui.fac.add_round')}**")
        spec = round_spec_inputs(key, with_prompt=True)
        if st.button(t("ui.fac.add_round_button"), key=f"{key}-add", icon=":material/add:"):
            rnd = call(ops.add_round, facilitator_token(), spec)
            if rnd:
                done("ui.fac.round_added", seq=rnd.seq)


# ---------------------------------------------------------------- turnout


def turnout_panel(wv: WorkshopView) -> None:
    c = wv.counts
    a, b, d = st.columns(3)
    a.metric(t("ui.fac.participants"), c.total_participants)
    b.metric(t("ui.fac.proposals"), c.total_proposals)
    d.metric(t("ui.fac.ballots"), c.total_ballots)
    table = pd.DataFrame(
        {
            t("ui.fac.helix_group"): [t(f"helix.{g}") for g in HELIX_GROUPS],
            t("ui.fac.participants"): [c.participants.get(g, 0) for g in HELIX_GROUPS],
            t("ui.fac.proposals"): [c.proposals.get(g, 0) for g in HELIX_GROUPS],
            t("ui.fac.ballots"): [c.ballots.get(g, 0) for g in HELIX_GROUPS],
        }
    )
    st.dataframe(table, hide_index=True, key="turnout")
    # Fixed slots for notes that come and go, so the tabs below never shift (see show_flash).
    themes_note, balance_note = st.container(key="turnout-themes-note"), st.container(key="turnout-balance-note")
    if c.facilitator_themes:
        themes_note.caption(t("ui.fac.facilitator_themes", n=c.facilitator_themes))
    if c.total_participants == 0:
        balance_note.info(t("ui.fac.nobody_yet"))
    elif under := c.underrepresented():
        balance_note.warning(
            t("ui.fac.underrepresented", groups=", ".join(t(f"helix.{g}") for g in under)), icon=":material/balance:"
        )


# ---------------------------------------------------------------- paper ballots


def paper_panel(wv: WorkshopView, rv: RoundView | None) -> None:
    st.caption(t("ui.fac.paper_help"))
    n = nonce("paper")
    actors = {a[0]: f"{a[1]} ({t(f'helix.{a[2]}')})" for a in wv.actors}
    with st.form(f"paper-register-{n}"):
        name = st.text_input(t("field.display_name"), key=f"paper-name-{n}")
        actor = st.selectbox(
            t("field.actor"),
            list(actors),
            index=None,
            format_func=actors.__getitem__,
            key=f"paper-actor-{n}",
            placeholder=t("ui.choose"),
        )
        if st.form_submit_button(t("ui.fac.paper_register")):
            if actor is None:
                refuse(ValidationError("input.required", field="actor"))
            elif p := call(ops.register_paper_participant, facilitator_token(), name, actor):
                st.session_state.setdefault(PAPER, []).append({"id": p.id, "name": p.display_name, "token": p.token})
                st.session_state["paper-who"] = p.id
                bump_nonce("paper")
                done("ui.fac.paper_registered")
    people = {p["id"]: p for p in st.session_state.get(PAPER, [])}
    if rv is None or rv.phase != "voting":
        _late_paper_ballots(wv, people)
        st.info(t("ui.fac.paper_not_voting"))
        return
    if not people:
        st.caption(t("ui.fac.paper_nobody"))
        return
    pid = st.selectbox(
        t("field.participant"),
        list(people),
        format_func=lambda i: people[i]["name"],
        key="paper-who",
        placeholder=t("ui.choose"),
    )
    try:
        stored = participant_view(engine(), people[pid]["token"]).ballot
    except EdpError as err:
        refuse(err)
        return
    if stored:
        st.caption(t("ui.fac.paper_replaces"))
    choices = ballot_form(rv, stored, key=f"paper-{pid}-{rv.id}")
    if choices is not None and call(submit_paper_ballot, facilitator_token(), pid, rv.id, choices):
        done("ui.fac.paper_saved")


def _late_paper_ballots(wv: WorkshopView, people: dict[int, dict[str, Any]]) -> None:
    """A paper ballot sent as its round left voting still reaches the engine, whose refusal is shown."""
    for pid in people:
        for r in wv.rounds:
            if (choices := unsent_ballot(f"paper-{pid}-{r.id}")) is not None:
                call(submit_paper_ballot, facilitator_token(), pid, r.id, choices)


# ---------------------------------------------------------------- priorities


def current_priorities(workshop_id: int) -> list[dict[str, Any]]:
    for proc in overview(engine()):
        for ws in proc["workshops"]:
            if ws["id"] == workshop_id:
                return ws["priorities"]
    return []


def priority_candidates(wv: WorkshopView, current: list[dict[str, Any]]) -> dict[int, str]:
    """theme id -> label: the latest closed round's ranking first, then the current round's themes."""
    options: dict[int, str] = {}
    closed = [r for r in wv.rounds if r.phase == "closed"]
    if closed:
        for row in cached_results(closed[-1].id, wv.revision, facilitator_token())["themes"]:
            options[row["theme_id"]] = t(
                "ui.fac.prio_option", rank=row["rank"], title=row["title"], total=num(row["total"])
            )
    for th in wv.current.themes if wv.current else ():
        options.setdefault(th.id, th.title)
    for p in current:
        options.setdefault(p["theme_id"], p["title"])
    # Two equal labels would be one option to the multiselect (a flood of copies): tell them apart.
    seen = Counter(options.values())
    return {
        tid: label if seen[label] == 1 else t("ui.mod.option", title=label, id=tid) for tid, label in options.items()
    }


def priorities_panel(wv: WorkshopView) -> None:
    current = current_priorities(wv.id)
    if current:
        st.markdown(f"**{t('ui.fac.prio_current')}**")
        for p in current:
            with st.container(border=True, key=f"prio-shown-{p['theme_id']}"):
                plain(f"{p['rank']}. {p['title']}", key=f"prio-{p['theme_id']}-title", kind="strong")
                for field in ("rationale", "recommendation"):
                    if p[field]:
                        st.caption(t(f"field.{field}"))
                        plain(p[field], key=f"prio-{p['theme_id']}-{field}")
    if not st.session_state.get(PRIO_EDITING):
        # The editor offers every theme of the round, a thousand after a join flood: it is drawn
        # only when asked for, so the console loads quickly (bench/console.py).
        label = "ui.console.prio_change" if current else "ui.console.prio_choose"
        st.button(t(label), key="prio-edit", icon=":material/edit:", on_click=_edit_priorities)
        return
    options = priority_candidates(wv, current)
    if not options:
        st.info(t("ui.fac.prio_no_themes"))
        return
    if "prio-themes" not in st.session_state:
        st.session_state["prio-themes"] = [p["theme_id"] for p in current]
    # A theme merged or withdrawn since it was picked is no longer an option.
    st.session_state["prio-themes"] = [tid for tid in st.session_state["prio-themes"] if tid in options]
    chosen = st.multiselect(
        t("ui.fac.prio_choose"),
        list(options),
        format_func=options.__getitem__,
        key="prio-themes",
        placeholder=t("ui.choose_many"),
    )
    st.caption(t("ui.fac.prio_order_help"))
    before = {p["theme_id"]: p for p in current}
    with st.form("prio-form"):
        items = []
        for rank, tid in enumerate(chosen, start=1):
            st.markdown(f"**{rank}.**")
            plain(options[tid], key=f"prio-form-{tid}", kind="strong")
            rationale = st.text_area(
                t("field.rationale"), before.get(tid, {}).get("rationale", ""), key=f"prio-rat-{tid}"
            )
            recommendation = st.text_area(
                t("field.recommendation"), before.get(tid, {}).get("recommendation", ""), key=f"prio-rec-{tid}"
            )
            items.append(ops.PriorityInput(tid, rationale, recommendation))
        if (
            st.form_submit_button(t("ui.fac.prio_save"), type="primary")
            and call(ops.set_priorities, facilitator_token(), items) is not None
        ):
            st.session_state.pop(PRIO_EDITING, None)
            done("ui.fac.prio_saved", n=len(items))
    if st.button(t("ui.fac.cancel"), key="prio-cancel"):
        st.session_state.pop(PRIO_EDITING, None)
        st.rerun()


def _edit_priorities() -> None:
    st.session_state[PRIO_EDITING] = True
    st.session_state.pop("prio-themes", None)  # the editor starts from the priorities saved


# ---------------------------------------------------------------- workshop settings


def workshop_settings(wv: WorkshopView) -> None:
    fac = facilitator_token()
    if wv.is_open:
        if st.button(t("ui.fac.close_workshop"), key="fac-ws-close", icon=":material/lock:") and call(
            ops.set_workshop_open, fac, False
        ):
            done("ui.fac.workshop_closed_done")
    elif st.button(t("ui.fac.open_workshop"), key="fac-ws-open", icon=":material/lock_open:") and call(
        ops.set_workshop_open, fac, True
    ):
        done("ui.fac.workshop_opened_done")
    allow = st.toggle(t("ui.setup.allow_new_actors"), wv.allow_new_actors, key=f"fac-allow-{wv.allow_new_actors}")
    if allow != wv.allow_new_actors and call(ops.set_workshop_options, fac, allow_new_actors=allow):
        done("ui.fac.settings_saved")
    shown = st.toggle(
        t("ui.fac.show_join_code"), wv.show_join_code, key=f"fac-showcode-{wv.show_join_code}",
        help=t("ui.fac.show_join_code_help"),
    )  # fmt: skip
    if shown != wv.show_join_code and call(ops.set_workshop_options, fac, show_join_code=shown):
        done("ui.fac.settings_saved")


def passcode_form() -> None:
    """Set, change or remove the workshop's passcode (a co-facilitator's way into this console only)."""
    with st.expander(t("ui.fac.passcode_heading"), icon=":material/password:"):
        st.caption(t("ui.fac.passcode_change_help"))
        n = nonce("passcode")
        with st.form(f"fac-passcode-{n}"):
            a, b = st.columns(2)
            new = a.text_input(t("field.passcode"), type="password", key=f"fac-pass-new-{n}")
            again = b.text_input(t("ui.setup.passcode_again"), type="password", key=f"fac-pass-again-{n}")
            if not st.form_submit_button(t("ui.fac.passcode_save")):
                return
        if new != again:
            st.error(t("ui.setup.passcode_mismatch"))
            return
        try:
            ops.set_workshop_passcode(engine(), facilitator_token(), new or None)
        except EdpError as err:
            show_error(err)
            return
        bump_nonce("passcode")
        done("ui.fac.passcode_saved" if new else "ui.fac.passcode_removed")
