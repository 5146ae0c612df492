"""Ranking's widgets: the number of places in the round form; one select per place on the ballot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from edp.live import RoundView
from edp.ui.common import lang, t
from edp.ui.methods.base import MethodForm, Reader, Row, ordinal, theme_labels


class RankForm(MethodForm):
    name = "rank"

    def settings(self, key: str) -> dict[str, Any]:
        return {"rank_count": int(st.number_input(t("field.rank_count"), 1, 50, 3, key=f"{key}-rank"))}

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        return _rank(rnd, stored, key)

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        titles = {th.id: th.title for th in rnd.themes}
        return [
            t("ui.ballot.summary_rank", ordinal=ordinal(value, language), title=titles.get(tid, "?"))
            for tid, _cid, value in sorted(stored, key=lambda r: r[2])
        ]


def _rank(rnd: RoundView, stored: Sequence[Row], key: str) -> Reader:
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
