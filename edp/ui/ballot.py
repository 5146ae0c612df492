"""The ballot for every voting method, shared by the participant page and the facilitator's
paper-ballot screen, plus the participant page's smaller pieces (theme form, summaries, live key).
Each method's own widgets are in edp/ui/methods/, found by the method's name.

User-typed text (theme titles, criterion names) is shown only through plain() or, inside a theme
card whose container has its own key, plain_in(); widgets get
translated labels, hidden where the plain text beside them already says what they are for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from edp import i18n
from edp.charts import number
from edp.live import RoundView, ScreenState, ThemeView, WorkshopView
from edp.ui import methods
from edp.ui.common import lang, local_clock, t
from edp.ui.text import plain
from edp.voting.results import RoundResultDict
from edp.workshop import DESCRIPTION_MAX, TITLE_MAX, ThemeInput

Row = tuple[int, int | None, int]  # theme_id, criterion_id, value: as edp.live.ParticipantView.ballot


# ---------------------------------------------------------------- small pure helpers


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
    return "\n".join(methods.form(rnd.method).summary(rnd, stored, language))


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

    Returns the choices in the shape edp.voting.ballots.submit_ballot expects when the button was
    pressed in this run, else None; the caller submits and shows the outcome. `key` must be
    unique per voter and round (a facilitator entering paper ballots uses one per participant).
    With `confirm_unused` (a participant's own phone), sending a dot or quadratic ballot with
    dots or credits left that could still be given asks first. Must not be called inside an st.form: score, rank and approval bring their own.
    A dot ballot reruns its caller on every + and −: call it inside a fragment where that matters.
    """
    form = methods.form(round_view.method)
    st.html(BALLOT_CSS)
    if not form.in_form:
        with st.container(key=f"{key}-edpballot"):
            form.ballot(round_view, stored, key, confirm_unused=confirm_unused)
        return unsent_ballot(key)
    with st.container(key=f"{key}-edpballot"), st.form(key=f"{key}-form", border=False):
        read = form.ballot(round_view, stored, key, confirm_unused=confirm_unused)
        if read is None:  # its Send would find nothing to read when clicked
            raise TypeError(
                f"the {round_view.method!r} ballot is drawn in a form, so its ballot() must return a reader"
            )
        with methods.sticky_bar(key):
            methods.submit_button(st.form_submit_button, key, read)
    return unsent_ballot(key)


def unsent_ballot(key: str) -> object | None:
    """Choices whose submit button was pressed since the last run, once (None if it was not).

    ballot_form returns them itself; a page whose round has left voting in the meantime calls
    this with the same key, submits anyway and shows the engine's refusal: nothing is lost silently.
    """
    return st.session_state.pop(f"{key}-sent", None)


def has_unsent_ballot() -> bool:
    """Whether a ballot's submit button was pressed and its choices are not yet sent (unsent_ballot)."""
    return any(isinstance(k, str) and k.startswith("ballot-") and k.endswith("-sent") for k in st.session_state)


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


def result_lines(results: RoundResultDict, language: str | None = None) -> list[tuple[int, str]]:
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
