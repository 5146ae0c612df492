"""Ballot widgets for every voting method, shared by the participant page and the facilitator's
paper-ballot screen, plus the participant page's smaller pieces (theme form, summaries, live key).

User-typed text (theme titles, criterion names) is shown only through plain() or, inside a theme
card whose container has its own key, plain_in(); widgets get
translated labels, hidden where the plain text beside them already says what they are for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import streamlit as st

from edp import i18n
from edp.charts import number
from edp.live import RoundView, ScreenState, ThemeView, WorkshopView
from edp.ui.common import lang, local_clock, t
from edp.ui.text import plain, plain_in
from edp.workshop import DESCRIPTION_MAX, TITLE_MAX, ThemeInput

Row = tuple[int, int | None, int]  # theme_id, criterion_id, value: as edp.live.ParticipantView.ballot


# ---------------------------------------------------------------- small pure helpers


def ordinal(n: int, language: str) -> str:
    """1:a, 2:a, 3:e ... in Swedish; 1st, 2nd, 3rd ... in English."""
    if language == "sv":
        return f"{n}:{'a' if n % 10 in (1, 2) and n % 100 not in (11, 12) else 'e'}"
    if language == "en":
        suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return f"{n}."


def theme_labels(themes: Sequence[ThemeView]) -> dict[int, str]:
    """Titles for choosing between themes; equal titles get a number, since a selectbox tells
    its options apart by their text."""
    seen: dict[str, int] = {}
    out = {}
    for th in themes:
        seen[th.title] = seen.get(th.title, 0) + 1
        out[th.id] = th.title if seen[th.title] == 1 else f"{th.title} ({seen[th.title]})"
    return out


RESULT_DECIMALS = 1  # every screen: chart labels, tables and phones (edp.charts.number)


def format_total(value: float | None, language: str = "sv") -> str:
    """A result figure as every screen writes it: one decimal, the language's decimal mark (19,7 / 19.7)."""
    return number(value, language, RESULT_DECIMALS)


def participant_view_key(ws: WorkshopView | ScreenState | None, ballot_saved_at: object = None) -> tuple:
    """What the participant page shows, for follow(): the round, its phase and result visibility,
    and when their own ballot was stored (so a confirmation that never reached the phone is drawn
    again); while reviewing also the revision, so the list follows the facilitator's clean-up, and
    while live results are shown the revision too. Other people's proposals (during proposing) or
    ballots (during voting, without live results) do not change it.
    Takes the full WorkshopView (and the participant's ballot_saved_at) or the one-query ScreenState."""
    if ws is None:
        return ()
    if isinstance(ws, WorkshopView):
        cur = ws.current
        ws = ScreenState(
            ws.is_open,
            ws.revision,
            *((cur.id, cur.phase, cur.revealed, cur.live_results, ballot_saved_at) if cur else ()),
        )
    if ws.round_id is None:
        return (ws.is_open, None)
    key: tuple = (ws.is_open, ws.round_id, ws.phase, ws.revealed, ws.live_results, _instant(ws.ballot_saved_at))
    shows_room = ws.phase == "reviewing" or (ws.phase == "voting" and ws.live_results)
    return (*key, ws.revision) if shows_room else key


def _instant(value: object) -> object:
    """A stored time as the same value whichever way it was read (SQLite gives it without a zone)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def ballot_summary(rnd: RoundView, stored: Sequence[Row], language: str) -> str:
    """The stored ballot in words, one line per entry (contains user text: show it with plain())."""
    titles = {th.id: th.title for th in rnd.themes}
    criteria = {c.id: c.name(language) for c in rnd.criteria}
    lines: list[str] = []
    if rnd.method == "score":
        by_theme: dict[int, list[str]] = {}
        for tid, cid, value in stored:
            by_theme.setdefault(tid, []).append(f"{criteria.get(cid, '?')}: {value}")
        for tid, scores in by_theme.items():
            lines.append(titles.get(tid, "?"))
            lines.extend(f"    {s}" for s in scores)
        return "\n".join(lines)
    for tid, _cid, value in sorted(stored, key=lambda r: r[2]) if rnd.method == "rank" else stored:
        title = titles.get(tid, "?")
        if rnd.method == "dots":
            lines.append(t("ui.ballot.summary_dots", title=title, n=value))
        elif rnd.method == "rank":
            lines.append(t("ui.ballot.summary_rank", ordinal=ordinal(value, language), title=title))
        else:
            lines.append(t("ui.ballot.summary_approval", title=title))
    return "\n".join(lines)


# ---------------------------------------------------------------- the theme form (propose / edit)


def theme_fields(
    areas: Sequence[tuple[int, str, str, str]], *, key: str, initial: ThemeView | None = None
) -> ThemeInput:
    """The fields of a proposal, for use inside the caller's st.form; returns what they hold.

    Lengths are not capped in the widgets: the engine refuses a too-long text with a message
    that names the field and the limit, instead of silently cutting it.
    """
    names = {a[0]: (a[2] if lang() == "sv" else a[3]) for a in areas}
    options: list[int | None] = [None, *names]
    start = initial.strength_area_id if initial is not None and initial.strength_area_id in names else None
    title = st.text_input(
        t("ui.participant.title", max=TITLE_MAX), value=initial.title if initial else "", key=f"{key}-title"
    )
    description = st.text_area(
        t("ui.participant.description", max=DESCRIPTION_MAX),
        value=initial.description if initial else "",
        key=f"{key}-description",
    )
    area = st.selectbox(
        t("ui.participant.strength_area"),
        options,
        index=options.index(start),
        format_func=lambda a: t("ui.participant.no_strength_area") if a is None else names[a],
        key=f"{key}-area",
        placeholder=t("ui.choose"),
    )
    partners = st.text_input(
        t("ui.participant.partners"), value=initial.partners if initial else "", key=f"{key}-partners"
    )
    next_steps = st.text_area(
        t("ui.participant.next_steps"), value=initial.next_steps if initial else "", key=f"{key}-next-steps"
    )
    return ThemeInput(title, description, area, partners, next_steps)


# ---------------------------------------------------------------- ballots


def ballot_form(
    round_view: RoundView, stored: Sequence[Row], *, key: str, confirm_unused: bool = False
) -> object | None:
    """Render the round's ballot, pre-filled from `stored` (entry rows), and its submit button.

    Returns the choices in the shape edp.ballots.submit_ballot expects when the button was
    pressed in this run, else None; the caller submits and shows the outcome. `key` must be
    unique per voter and round (a facilitator entering paper ballots uses one per participant).
    With `confirm_unused` (a participant's own phone), sending a dot ballot with dots left asks
    first. Must not be called inside an st.form: score, rank and approval bring their own.
    A dot ballot reruns its caller on every + and −: call it inside a fragment where that matters.
    """
    method = round_view.method
    st.html(BALLOT_CSS)
    if method == "dots":
        with st.container(key=f"{key}-edpballot"):
            _dots(round_view, stored, key, confirm_unused)
        return unsent_ballot(key)
    with st.container(key=f"{key}-edpballot"), st.form(key=f"{key}-form", border=False):
        if method == "score":
            read = _score(round_view, stored, key)
        elif method == "rank":
            read = _rank(round_view, stored, key)
        else:
            read = _approval(round_view, stored, key)
        with _sticky_bar(key):
            _submit_button(st.form_submit_button, key, read)
    return unsent_ballot(key)


def _submit_button(button, key: str, read) -> None:  # noqa: ANN001
    # The choices are taken in the click's callback, which runs before the script: a click that
    # arrives after voting closed (so the ballot is no longer drawn) still reaches the engine.
    def stash() -> None:
        st.session_state[f"{key}-sent"] = read()

    button(t("ui.ballot.submit"), key=f"{key}-submit", type="primary", width="stretch", on_click=stash)


def _sticky_bar(key: str):  # noqa: ANN202 - a container
    """The bar under a ballot that stays on screen while the ballot scrolls: what is left, and Send."""
    return st.container(key=f"{key}-edpbar", gap="small")


def unsent_ballot(key: str) -> object | None:
    """Choices whose submit button was pressed since the last run, once (None if it was not).

    ballot_form returns them itself; a page whose round has left voting in the meantime calls
    this with the same key, submits anyway and shows the engine's refusal: nothing is lost silently.
    """
    return st.session_state.pop(f"{key}-sent", None)


def has_unsent_ballot() -> bool:
    """Whether a ballot's submit button was pressed and its choices are not yet sent (unsent_ballot)."""
    return any(isinstance(k, str) and k.startswith("ballot-") and k.endswith("-sent") for k in st.session_state)


def _dots_state(rnd: RoundView, stored: Sequence[Row], key: str) -> dict[int, int]:
    state_key = f"{key}-dots"
    if state_key not in st.session_state:
        on_ballot = {th.id for th in rnd.themes}
        st.session_state[state_key] = {tid: v for tid, _c, v in stored if tid in on_ballot}
    return st.session_state[state_key]


def _dots(rnd: RoundView, stored: Sequence[Row], key: str, confirm_unused: bool) -> None:
    budget, cap = rnd.dots_per_participant or 0, rnd.max_dots_per_theme or 0
    draft = _dots_state(rnd, stored, key)
    # Send was pressed with dots left: the bar asks until it is answered or every dot is given.
    asking = f"{key}-confirm"
    st.markdown(f"{t('ui.ballot.intro_dots', dots=budget)} {t('ui.ballot.dots_cap', cap=cap)}.")

    def change(tid: int, step: int) -> None:
        # The same limits as the disabled buttons, so a click that races a rerun cannot pass them.
        now = draft.get(tid, 0)
        if step > 0 and (now >= cap or sum(draft.values()) >= budget) or step < 0 and now <= 0:
            return
        draft[tid] = now + step

    def choices() -> dict[int, int]:
        return {tid: n for tid, n in draft.items() if n > 0}

    def send() -> None:
        # Taken in the click's callback, like every ballot's button (see _submit_button).
        if confirm_unused and budget - sum(draft.values()) > 0:
            st.session_state[asking] = True
            return
        st.session_state.pop(asking, None)
        st.session_state[f"{key}-sent"] = choices()

    def send_anyway() -> None:
        st.session_state.pop(asking, None)
        st.session_state[f"{key}-sent"] = choices()

    left = budget - sum(draft.values())
    for pos, th in enumerate(rnd.themes, start=1):
        n = draft.get(th.id, 0)
        with st.container(key=f"{key}-theme-{th.id}", gap=None):
            plain_in(th.title)  # bold (BALLOT_CSS)
            with st.container(key=f"{key}-edpdots-{th.id}", horizontal=True, vertical_alignment="center", gap="small"):
                st.button(
                    t("ui.ballot.remove_dot_from", n=pos), icon=":material/remove:", key=f"{key}-minus-{th.id}",
                    disabled=n <= 0, on_click=change, args=(th.id, -1),
                )  # fmt: skip
                st.markdown(t("ui.ballot.dots_given", n=n))
                st.button(
                    t("ui.ballot.add_dot_to", n=pos), icon=":material/add:", key=f"{key}-plus-{th.id}",
                    disabled=n >= cap or left <= 0, on_click=change, args=(th.id, 1),
                )  # fmt: skip

    if left <= 0:
        st.session_state.pop(asking, None)
    with _sticky_bar(key):
        ask = bool(st.session_state.get(asking))
        if ask:
            with st.container(key=f"{key}-unused"):
                st.warning(t("ui.ballot.unused_hint" + (".one" if left == 1 else ""), n=left), icon=":material/info:")
                with st.container(horizontal=True, gap="small"):
                    st.button(
                        t("ui.ballot.send_anyway"), key=f"{key}-send-anyway", type="primary", on_click=send_anyway
                    )
                    st.button(t("ui.ballot.keep_giving"), key=f"{key}-keep-giving", on_click=st.session_state.pop,
                              args=(asking, None))  # fmt: skip
        with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"{key}-counter"):
            st.markdown(f"**{t('ui.ballot.dots_left', n=left)}**")
            if not ask:
                st.button(t("ui.ballot.submit"), key=f"{key}-submit", type="primary", on_click=send)


def _score(rnd: RoundView, stored: Sequence[Row], key: str):  # noqa: ANN202 - returns a reader
    st.markdown(t("ui.ballot.intro_score"))
    given = {(tid, cid): v for tid, cid, v in stored}
    language = lang()
    for th in rnd.themes:
        with st.container(key=f"{key}-theme-{th.id}", gap=None):
            plain_in(th.title)  # bold (BALLOT_CSS)
            for j, c in enumerate(rnd.criteria, start=1):
                with st.container(key=f"{key}-edpscore-{th.id}-{c.id}", gap=None):
                    plain_in(c.name(language))
                    scale = list(range(c.scale_min, c.scale_max + 1))
                    before = given.get((th.id, c.id))
                    # A row of boxes (BALLOT_CSS), one tap each; the ends of the scale are in the intro.
                    st.radio(
                        t("ui.ballot.score_label_n", n=j, of=len(rnd.criteria), low=c.scale_min, high=c.scale_max),
                        scale, index=scale.index(before) if before in scale else None, horizontal=True,
                        label_visibility="collapsed", key=f"{key}-score-{th.id}-{c.id}",
                    )  # fmt: skip

    def read() -> dict[int, dict[int, int]]:
        out: dict[int, dict[int, int]] = {}
        for th in rnd.themes:
            scores = {c.id: st.session_state.get(f"{key}-score-{th.id}-{c.id}") for c in rnd.criteria}
            # A theme left wholly unscored is skipped; a partly scored one goes to the engine, which explains.
            if any(v is not None for v in scores.values()):
                out[th.id] = {cid: v for cid, v in scores.items() if v is not None}
        return out

    return read


def _rank(rnd: RoundView, stored: Sequence[Row], key: str):  # noqa: ANN202 - returns a reader
    places = min(rnd.rank_count or 0, len(rnd.themes))
    st.markdown(t("ui.ballot.intro_rank", n=places))
    labels = theme_labels(rnd.themes)
    options = list(labels)
    before = {pos: tid for tid, _c, pos in stored}
    language = lang()
    for pos in range(1, places + 1):
        chosen = before.get(pos)
        st.selectbox(
            t("ui.ballot.rank_place", ordinal=ordinal(pos, language)), options,
            index=options.index(chosen) if chosen in options else None, format_func=labels.__getitem__,
            placeholder=t("ui.ballot.rank_choose"), key=f"{key}-rank-{pos}",
        )  # fmt: skip

    def read() -> list[int]:
        picks = (st.session_state.get(f"{key}-rank-{pos}") for pos in range(1, places + 1))
        return [tid for tid in picks if tid is not None]

    return read


def _approval(rnd: RoundView, stored: Sequence[Row], key: str):  # noqa: ANN202 - returns a reader
    st.markdown(t("ui.ballot.intro_approval"))
    before = {tid for tid, _c, _v in stored}
    for th in rnd.themes:
        with st.container(border=True, key=f"{key}-theme-{th.id}"):
            plain_in(th.title)  # bold (BALLOT_CSS)
            st.checkbox(t("ui.ballot.approve"), value=th.id in before, key=f"{key}-approve-{th.id}")

    def read() -> list[int]:
        return [th.id for th in rnd.themes if st.session_state.get(f"{key}-approve-{th.id}")]

    return read


def show_stored_ballot(rnd: RoundView, stored: Sequence[Row], *, key: str, saved_at: dt.datetime | None = None) -> None:
    """The confirmation under a ballot: what the database holds now, when it was stored, and that
    it can still change. Drawn from the database on every run, never from a one-off message."""
    if not stored:
        st.caption(t("ui.ballot.not_voted"))
        return
    st.success(t("ui.ballot.saved"), icon=":material/check_circle:")
    if saved_at is not None:
        with st.container(key=f"{key}-saved-at"):
            st.caption(t("ui.ballot.saved_at", time=local_clock(saved_at)))
    st.caption(t("ui.ballot.saved_contents"))
    plain(ballot_summary(rnd, stored, lang()), key=f"{key}-stored")
    st.caption(t("ui.ballot.can_change"))


def result_unit(method: str, value: float | None, language: str | None = None) -> str:
    """The word after a result figure: prickar / dots, poäng / points, Borda-poäng / Borda points,
    godkännanden / approvals (singular for exactly 1)."""
    key = f"ui.participant.result_unit.{method}" + (".one" if value == 1 else "")
    return i18n.t(key, language or lang())


def result_lines(results: dict[str, Any], language: str | None = None) -> list[tuple[int, str]]:
    """(theme id, line) per ranked theme of cached_results(), with the method's unit ("1. Titel –
    19,7 poäng", a tie "2= Titel – 7 prickar"); lines contain user text (use plain())."""
    language = language or lang()
    method = results.get("method", "dots")
    lines = []
    for row in results.get("themes", []):
        line = t(
            "ui.participant.result_line",
            rank=f"{row['rank']}{'=' if row.get('tied') else '.'}",
            title=row["title"],
            total=format_total(row["total"], language),
            unit=result_unit(method, row["total"], language),
        )
        lines.append((row["theme_id"], line))
    return lines


# ---------------------------------------------------------------- the ballot's CSS (our own, fixed text)

# Scoped to the ballot's keyed containers (st.container(key=...) gives the class st-key-<key>):
# tap targets of at least 44 px, a visible focus ring, compact rows, the bar that stays on screen.
# Colours follow the theme: Streamlit sets color-scheme on the app, so Canvas is the light or dark
# page colour and currentColor the text's; the focus blue is 4.5:1 on white and 4:1 on the dark page.
BALLOT_CSS = """
<style>
[class*="-edpballot"] button { min-height: 44px; min-width: 44px; }
[class*="-edpballot"] button:focus-visible, [class*="-edpbar"] button:focus-visible {
  outline: 3px solid #1F78D1; outline-offset: 2px;
}
[class*="-edpballot"] { gap: 0.25rem; }
[class*="-edpballot"] [data-baseweb="select"] > div { min-height: 44px; }
[class*="-edpballot"] [data-testid="stCheckbox"] label { min-height: 44px; align-items: center; }
[class*="-edpballot"] [class*="-theme-"] [data-testid="stText"] { font-weight: 600; }
[class*="-edpballot"] [class*="-edpscore-"] [data-testid="stText"] { font-weight: 400; }
[class*="-edpballot"] [class*="-theme-"] { padding: 0.25rem 0 0.5rem; border-bottom: 1px solid color-mix(in srgb, currentColor 25%, transparent); gap: 0.25rem; }
[class*="-edpdots-"] [data-testid="stMarkdownContainer"], [class*="-edpbar"] [data-testid="stMarkdownContainer"] {
  margin-bottom: 0 !important;
}
[class*="-edpdots-"] { gap: 0.5rem; }
[class*="-edpdots-"] [data-testid="stMarkdownContainer"] p { margin: 0; min-width: 5.5rem; text-align: center; }
[class*="-edpdots-"] [data-testid="stMarkdown"] { display: flex; align-items: center; }
[class*="-edpdots-"] button [data-testid="stMarkdownContainer"] {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
[class*="-edpdots-"] button { padding: 0 0.6rem; }
[data-testid="stLayoutWrapper"]:has(> [class*="-edpbar"]) { position: sticky; bottom: 0; z-index: 50; }
[class*="-edpbar"] {
  background-color: Canvas; border-top: 2px solid currentColor; padding: 0.5rem 0 calc(0.5rem + env(safe-area-inset-bottom));
}
[class*="-edpbar"] button { min-height: 44px; }
[class*="-edpbar"] [data-testid="stMarkdownContainer"] p { margin: 0; font-size: 1.1rem; }
[class*="-edpbar"] [class*="-counter"] { justify-content: space-between; flex-wrap: nowrap; }
[class*="-edpscore-"] { padding-top: 0.25rem; }
[class*="-edpscore-"] [role="radiogroup"] { gap: 0.375rem; flex-wrap: wrap; }
[class*="-edpscore-"] label[data-testid="stRadioOption"] {
  min-width: 44px; min-height: 44px; margin: 0; padding: 0 0.75rem; display: flex; align-items: center;
  justify-content: center; border: 1px solid color-mix(in srgb, currentColor 60%, transparent); border-radius: 0.5rem; box-sizing: border-box; cursor: pointer;
}
[class*="-edpscore-"] label[data-testid="stRadioOption"] > div > div:not([data-testid]) { display: none; }
[class*="-edpscore-"] label[data-testid="stRadioOption"] p { font-size: 1rem; margin: 0; }
[class*="-edpscore-"] label[data-testid="stRadioOption"]:has(input:checked) { background: #0B5CAD; border-color: #0B5CAD; }
[class*="-edpscore-"] label[data-testid="stRadioOption"]:has(input:checked) p { color: #FFFFFF; font-weight: 700; }
[class*="-edpscore-"] label[data-testid="stRadioOption"]:has(input:focus-visible) { outline: 3px solid #1F78D1; outline-offset: 2px; }
</style>
"""
