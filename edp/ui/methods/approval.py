"""Approval's widgets: no settings; a checkbox per theme on the ballot."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from edp.live import RoundView
from edp.ui.common import t
from edp.ui.methods.base import MethodForm, Reader, Row
from edp.ui.text import plain_in


class ApprovalForm(MethodForm):
    name = "approval"

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        return _approval(rnd, stored, key)

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        titles = {th.id: th.title for th in rnd.themes}
        return [t("ui.ballot.summary_approval", title=titles.get(tid, "?")) for tid, _cid, _value in stored]


def _approval(rnd: RoundView, stored: Sequence[Row], key: str) -> Reader:
    st.markdown(t("ui.ballot.intro_approval"))
    before = {tid for tid, _c, _v in stored}
    for th in rnd.themes:
        with st.container(border=True, key=f"{key}-theme-{th.id}"):
            plain_in(th.title)  # bold (BALLOT_CSS)
            st.checkbox(t("ui.ballot.approve"), value=th.id in before, key=f"{key}-approve-{th.id}")

    def read() -> list[int]:
        return [th.id for th in rnd.themes if st.session_state.get(f"{key}-approve-{th.id}")]

    return read
