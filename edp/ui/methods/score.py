"""Scoring's widgets: the criteria editor in the round form; a row of boxes per criterion on the ballot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from edp import i18n
from edp.live import RoundView
from edp.ui.actions import bump_nonce, nonce
from edp.ui.common import lang, t
from edp.ui.methods.base import MethodForm, Reader, Row
from edp.ui.text import plain_in
from edp.workshop import CriterionSpec

S3_CRITERIA = ("innovation", "critical_mass", "market", "fit", "international")
CRITERIA_COLUMNS = ["name_sv", "name_en", "description", "weight", "scale_min", "scale_max"]


class ScoreForm(MethodForm):
    name = "score"

    def settings(self, key: str) -> dict[str, Any]:
        st.caption(t("ui.setup.criteria_help"))
        return {"criteria": tuple(criteria_editor(key))}

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        return _score(rnd, stored, key)

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        titles = {th.id: th.title for th in rnd.themes}
        criteria = {c.id: c.name(language) for c in rnd.criteria}
        by_theme: dict[int, list[str]] = {}
        for tid, cid, value in stored:
            name = criteria.get(cid, "?") if cid is not None else "?"
            by_theme.setdefault(tid, []).append(f"{name}: {value}")
        lines: list[str] = []
        for tid, scores in by_theme.items():
            lines.append(titles.get(tid, "?"))
            lines.extend(f"    {s}" for s in scores)
        return lines


def _score(rnd: RoundView, stored: Sequence[Row], key: str) -> Reader:
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


# ---------------------------------------------------------------- the criteria editor (round form)


def s3_criteria_frame() -> pd.DataFrame:
    """The five typical S3 criteria, names in both languages, descriptions in the user's."""
    rows = [
        {
            "name_sv": i18n.t(f"ui.setup.s3.{c}", "sv"),
            "name_en": i18n.t(f"ui.setup.s3.{c}", "en"),
            "description": t(f"ui.setup.s3.{c}.help"),
            "weight": 1.0,
            "scale_min": 1,
            "scale_max": 5,
        }
        for c in S3_CRITERIA
    ]
    return pd.DataFrame(rows, columns=CRITERIA_COLUMNS)


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())
    )


def _whole(value: Any, default: int) -> Any:
    if _blank(value):
        return default
    value = float(value)
    return int(value) if value.is_integer() else value  # a fraction is left for the engine to refuse


def criteria_from_frame(frame: pd.DataFrame) -> list[CriterionSpec]:
    """Rows of the criteria editor as specs (plain Python numbers; blank numbers take the defaults)."""
    out = []
    for row in frame.to_dict("records"):
        if all(_blank(row.get(c)) for c in CRITERIA_COLUMNS):
            continue
        text = {c: "" if _blank(row.get(c)) else str(row[c]) for c in ("name_sv", "name_en", "description")}
        weight = 1.0 if _blank(row.get("weight")) else float(row["weight"])
        out.append(
            CriterionSpec(
                **text,
                weight=weight,
                scale_min=_whole(row.get("scale_min"), 1),
                scale_max=_whole(row.get("scale_max"), 5),
            )
        )
    return out


def criteria_editor(key: str) -> list[CriterionSpec]:
    version = nonce(f"{key}-criteria")
    if st.button(t("ui.setup.s3_defaults"), key=f"{key}-s3", icon=":material/playlist_add:"):
        st.session_state[f"{key}-criteria-base"] = s3_criteria_frame()
        bump_nonce(f"{key}-criteria")
        st.rerun()
    base = st.session_state.get(f"{key}-criteria-base")
    if base is None:
        base = pd.DataFrame(
            {c: pd.Series(dtype="object" if c in CRITERIA_COLUMNS[:3] else "float") for c in CRITERIA_COLUMNS}
        )
    edited = st.data_editor(
        base,
        num_rows="dynamic",
        hide_index=True,
        key=f"{key}-criteria-{version}",
        column_config={
            "name_sv": st.column_config.TextColumn(t("field.criterion_name_sv"), required=True),
            "name_en": st.column_config.TextColumn(t("field.criterion_name_en"), required=True),
            "description": st.column_config.TextColumn(t("field.criterion_description")),
            "weight": st.column_config.NumberColumn(t("field.weight"), min_value=0.01, max_value=100, step=0.5),
            "scale_min": st.column_config.NumberColumn(t("field.scale_min"), min_value=0, max_value=99, step=1),
            "scale_max": st.column_config.NumberColumn(t("field.scale_max"), min_value=1, max_value=100, step=1),
        },
    )
    return criteria_from_frame(edited)
