"""Dot voting's widgets: a budget and a cap in the round form; + and − per theme on the ballot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from edp.live import RoundView
from edp.ui.common import t
from edp.ui.methods.base import MethodForm, Reader, Row, send_bar
from edp.ui.text import plain_in


class DotsForm(MethodForm):
    name = "dots"
    in_form = False  # + and − rerun on every click; Send is its own button

    def settings(self, key: str) -> dict[str, Any]:
        a, b = st.columns(2)
        dots = a.number_input(t("field.dots_per_participant"), 1, 100, 5, key=f"{key}-dots")
        cap = b.number_input(t("field.max_dots_per_theme"), 1, 100, 3, key=f"{key}-cap")
        return {"dots_per_participant": int(dots), "max_dots_per_theme": int(cap)}

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        _dots(rnd, stored, key, confirm_unused)
        return None

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        titles = {th.id: th.title for th in rnd.themes}
        return [t("ui.ballot.summary_dots", title=titles.get(tid, "?"), n=value) for tid, _cid, value in stored]


def _dots_state(rnd: RoundView, stored: Sequence[Row], key: str) -> dict[int, int]:
    state_key = f"{key}-dots"
    if state_key not in st.session_state:
        on_ballot = {th.id for th in rnd.themes}
        st.session_state[state_key] = {tid: v for tid, _c, v in stored if tid in on_ballot}
    return st.session_state[state_key]


def _dots(rnd: RoundView, stored: Sequence[Row], key: str, confirm_unused: bool) -> None:
    budget, cap = rnd.dots_per_participant or 0, rnd.max_dots_per_theme or 0
    draft = _dots_state(rnd, stored, key)
    st.markdown(f"{t('ui.ballot.intro_dots', dots=budget)} {t('ui.ballot.dots_cap', cap=cap)}.")

    def change(tid: int, step: int) -> None:
        # The same limits as the disabled buttons, so a click that races a rerun cannot pass them.
        now = draft.get(tid, 0)
        if step > 0 and (now >= cap or sum(draft.values()) >= budget) or step < 0 and now <= 0:
            return
        draft[tid] = now + step

    def left() -> int:
        return budget - sum(draft.values())

    def unused() -> str | None:  # only when a dot left can still go somewhere (not every theme is full)
        n = left()
        if n <= 0 or all(draft.get(th.id, 0) >= cap for th in rnd.themes):
            return None
        return t("ui.ballot.unused_hint" + (".one" if n == 1 else ""), n=n)

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
                    disabled=n >= cap or left() <= 0, on_click=change, args=(th.id, 1),
                )  # fmt: skip

    # Send with dots left asks first, until it is answered or every dot is given (send_bar).
    send_bar(
        key, t("ui.ballot.dots_left", n=left()), lambda: {tid: n for tid, n in draft.items() if n > 0},
        unused=unused, keep_giving=t("ui.ballot.keep_giving"), confirm_unused=confirm_unused,
    )  # fmt: skip
