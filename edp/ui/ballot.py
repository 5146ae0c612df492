"""Ballot widgets for every voting method, shared by the participant page and the facilitator's
paper-ballot screen, plus the participant page's smaller pieces (theme form, summaries, live key).

User-typed text (theme titles, criterion names) is shown only through plain(); widgets get
translated labels, hidden where the plain text beside them already says what they are for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from edp.live import RoundView, ScreenState, ThemeView, WorkshopView
from edp.ui.common import lang, t
from edp.ui.text import plain
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


def format_total(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def participant_view_key(ws: WorkshopView | ScreenState | None) -> tuple:
    """What the participant page shows, for follow(): the round, its phase and result visibility;
    while reviewing also the revision, so the list follows the facilitator's clean-up. Other
    people's proposals (during proposing) or ballots (during voting) do not change it.
    Takes the full WorkshopView or, on the polling path, the one-query ScreenState."""
    if ws is None:
        return ()
    if isinstance(ws, WorkshopView):
        cur = ws.current
        ws = ScreenState(ws.is_open, ws.revision, *((cur.id, cur.phase, cur.revealed, cur.live_results) if cur else ()))
    if ws.round_id is None:
        return (ws.is_open, None)
    key: tuple = (ws.is_open, ws.round_id, ws.phase, ws.revealed, ws.live_results)
    return (*key, ws.revision) if ws.phase == "reviewing" else key


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
    )
    partners = st.text_input(
        t("ui.participant.partners"), value=initial.partners if initial else "", key=f"{key}-partners"
    )
    next_steps = st.text_area(
        t("ui.participant.next_steps"), value=initial.next_steps if initial else "", key=f"{key}-next-steps"
    )
    return ThemeInput(title, description, area, partners, next_steps)


# ---------------------------------------------------------------- ballots


def ballot_form(round_view: RoundView, stored: Sequence[Row], *, key: str) -> object | None:
    """Render the round's ballot, pre-filled from `stored` (entry rows), and its submit button.

    Returns the choices in the shape edp.ballots.submit_ballot expects when the button was
    pressed in this run, else None; the caller submits and shows the outcome. `key` must be
    unique per voter and round (a facilitator entering paper ballots uses one per participant).
    Must not be called inside an st.form: score, rank and approval bring their own.
    """
    method = round_view.method
    if method == "dots":
        _dots(round_view, stored, key)
        return unsent_ballot(key)
    with st.form(key=f"{key}-form", border=False):
        if method == "score":
            read = _score(round_view, stored, key)
        elif method == "rank":
            read = _rank(round_view, stored, key)
        else:
            read = _approval(round_view, stored, key)
        _submit_button(st.form_submit_button, key, read)
    return unsent_ballot(key)


def _submit_button(button, key: str, read) -> None:  # noqa: ANN001
    # The choices are taken in the click's callback, which runs before the script: a click that
    # arrives after voting closed (so the ballot is no longer drawn) still reaches the engine.
    def stash() -> None:
        st.session_state[f"{key}-sent"] = read()

    button(t("ui.ballot.submit"), key=f"{key}-submit", type="primary", width="stretch", on_click=stash)


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


def _dots(rnd: RoundView, stored: Sequence[Row], key: str) -> None:
    budget, cap = rnd.dots_per_participant or 0, rnd.max_dots_per_theme or 0
    draft = _dots_state(rnd, stored, key)
    st.caption(t("ui.ballot.intro_dots", dots=budget))

    def change(tid: int, step: int) -> None:
        # The same limits as the disabled buttons, so a click that races a rerun cannot pass them.
        now = draft.get(tid, 0)
        if step > 0 and (now >= cap or sum(draft.values()) >= budget) or step < 0 and now <= 0:
            return
        draft[tid] = now + step

    # A fragment: + and − rerun only the ballot, not the whole page.
    @st.fragment
    def allocation() -> None:
        left = budget - sum(draft.values())
        with st.container(key=f"{key}-counter"):
            st.markdown(f"**{t('ui.ballot.dots_left', n=left)}**  \n{t('ui.ballot.dots_cap', cap=cap)}")
        for th in rnd.themes:
            n = draft.get(th.id, 0)
            with st.container(border=True, key=f"{key}-theme-{th.id}"):
                plain(th.title, key=f"{key}-title-{th.id}", kind="strong")
                with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
                    st.button(
                        "", icon=":material/remove:", key=f"{key}-minus-{th.id}", help=t("ui.ballot.remove_dot"),
                        disabled=n <= 0, on_click=change, args=(th.id, -1),
                    )  # fmt: skip
                    st.markdown(t("ui.ballot.dots_given", n=n))
                    st.button(
                        "", icon=":material/add:", key=f"{key}-plus-{th.id}", help=t("ui.ballot.add_dot"),
                        disabled=n >= cap or left <= 0, on_click=change, args=(th.id, 1),
                    )  # fmt: skip

    allocation()
    _submit_button(st.button, key, lambda: {tid: n for tid, n in draft.items() if n > 0})


def _score(rnd: RoundView, stored: Sequence[Row], key: str):  # noqa: ANN202 - returns a reader
    st.caption(t("ui.ballot.intro_score"))
    given = {(tid, cid): v for tid, cid, v in stored}
    language = lang()
    for th in rnd.themes:
        with st.container(border=True, key=f"{key}-theme-{th.id}"):
            plain(th.title, key=f"{key}-title-{th.id}", kind="strong")
            for c in rnd.criteria:
                plain(c.name(language), key=f"{key}-criterion-{th.id}-{c.id}")
                scale = list(range(c.scale_min, c.scale_max + 1))
                before = given.get((th.id, c.id))
                ends = [""] * len(scale)
                ends[0], ends[-1] = t("ui.ballot.scale_low"), t("ui.ballot.scale_high")
                st.radio(
                    t("ui.ballot.score_label"), scale, index=scale.index(before) if before in scale else None,
                    horizontal=True, captions=ends, label_visibility="collapsed", key=f"{key}-score-{th.id}-{c.id}",
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
    st.caption(t("ui.ballot.intro_rank", n=places))
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
    st.caption(t("ui.ballot.intro_approval"))
    before = {tid for tid, _c, _v in stored}
    for th in rnd.themes:
        with st.container(border=True, key=f"{key}-theme-{th.id}"):
            plain(th.title, key=f"{key}-title-{th.id}", kind="strong")
            st.checkbox(t("ui.ballot.approve"), value=th.id in before, key=f"{key}-approve-{th.id}")

    def read() -> list[int]:
        return [th.id for th in rnd.themes if st.session_state.get(f"{key}-approve-{th.id}")]

    return read


def show_stored_ballot(rnd: RoundView, stored: Sequence[Row], *, key: str) -> None:
    """The confirmation under a ballot: what the database holds now, and that it can still change."""
    if not stored:
        st.caption(t("ui.ballot.not_voted"))
        return
    st.success(t("ui.ballot.saved"), icon=":material/check_circle:")
    st.caption(t("ui.ballot.saved_contents"))
    plain(ballot_summary(rnd, stored, lang()), key=f"{key}-stored")
    st.caption(t("ui.ballot.can_change"))


def result_lines(results: dict[str, Any]) -> list[tuple[int, str]]:
    """(theme id, line) per ranked theme of cached_results(); lines contain user text (use plain())."""
    return [
        (
            row["theme_id"],
            t("ui.participant.result_line", rank=row["rank"], title=row["title"], total=format_total(row["total"])),
        )
        for row in results.get("themes", [])
    ]
