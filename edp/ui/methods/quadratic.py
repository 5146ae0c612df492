"""Quadratic voting's widgets: the credits in the round form; − and + per theme on the ballot, each
step showing what the next vote costs, and the credits left in the bar under the ballot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from edp.live import RoundView
from edp.ui.common import t
from edp.ui.methods.base import MethodForm, Reader, Row, send_bar
from edp.ui.text import plain_in
from edp.voting.quadratic import CREDITS_MAX, most_votes

CREDITS_DEFAULT = 100


class QuadraticForm(MethodForm):
    name = "quadratic"
    in_form = False  # − and + rerun on every click, so the credits left follow

    def settings(self, key: str) -> dict[str, Any]:
        credits = st.number_input(
            t("field.credits"), 1, CREDITS_MAX, CREDITS_DEFAULT, key=f"{key}-credits", help=t("ui.qv.credits_help")
        )
        return {"settings": {"credits": int(credits)}}

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        credits = int(rnd.settings.get("credits", 0))
        state_key = f"{key}-votes"
        if state_key not in st.session_state:
            on_ballot = {th.id for th in rnd.themes}
            st.session_state[state_key] = {tid: v for tid, _c, v in stored if tid in on_ballot}
        draft: dict[int, int] = st.session_state[state_key]
        cap = most_votes(credits)

        def left() -> int:
            return credits - sum(n * n for n in draft.values())

        def change(tid: int, step: int) -> None:
            # The same limits as the disabled buttons, so a click that races a rerun cannot pass them.
            now = draft.get(tid, 0)
            if step > 0 and (now >= cap or 2 * now + 1 > left()) or step < 0 and now <= 0:
                return
            draft[tid] = now + step

        st.markdown(t("ui.qv.intro", credits=credits))
        for pos, th in enumerate(rnd.themes, start=1):
            n = draft.get(th.id, 0)
            with st.container(key=f"{key}-theme-{th.id}", gap=None):
                plain_in(th.title)  # bold (BALLOT_CSS)
                # The dots' row style (BALLOT_CSS): − and + with hidden text labels, the count between them.
                with st.container(key=f"{key}-edpdots-{th.id}", horizontal=True, vertical_alignment="center"):
                    st.button(
                        t("ui.qv.fewer", n=pos), icon=":material/remove:", key=f"{key}-minus-{th.id}",
                        disabled=n <= 0, on_click=change, args=(th.id, -1),
                    )  # fmt: skip
                    st.markdown(t("ui.qv.votes_given", n=n, cost=n * n))
                    st.button(
                        t("ui.qv.more", n=pos, cost=2 * n + 1), icon=":material/add:", key=f"{key}-plus-{th.id}",
                        disabled=n >= cap or 2 * n + 1 > left(), on_click=change, args=(th.id, 1),
                    )  # fmt: skip

        def unused() -> str | None:  # only when one more vote still fits somewhere
            n = left()
            if not any(draft.get(th.id, 0) < cap and 2 * draft.get(th.id, 0) + 1 <= n for th in rnd.themes):
                return None
            return t("ui.qv.unused_hint", n=n)

        send_bar(
            key, t("ui.qv.credits_left", n=left(), of=credits), lambda: {tid: n for tid, n in draft.items() if n > 0},
            unused=unused, keep_giving=t("ui.qv.keep_giving"), confirm_unused=confirm_unused, width="stretch",
        )  # fmt: skip
        return None

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        titles = {th.id: th.title for th in rnd.themes}
        return [
            t("ui.qv.summary", title=titles.get(tid, "?"), n=value, cost=value * value) for tid, _cid, value in stored
        ]
