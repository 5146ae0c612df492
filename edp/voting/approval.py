"""Approval voting: each voter approves any number of themes, one approval each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edp.errors import ValidationError
from edp.voting.base import Counted, Row, Values, VotingMethod, theme_ids
from edp.voting.results import MethodFigures


class Approval(VotingMethod):
    name = "approval"
    position = 4
    result_columns = ("share",)

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        chosen = theme_ids(choices, ordered=False)
        if len(set(chosen)) != len(chosen):
            raise ValidationError("ballot.approval_duplicate", field="approval")
        rows: list[Row] = []
        for tid in chosen:
            check_theme(tid)
            rows.append((tid, None, 1))
        return rows

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401
        # One approval per voter and theme, however many of the voter's themes were merged into it.
        v = np.zeros(counted.shape)
        v[counted.ballot, counted.column] = 1.0
        return Values(v=v, x=v, scored=np.ones(counted.shape, dtype=bool))

    def theme_figures(
        self, i: int, values: Values, *, total: float, balanced: float, context: dict[str, float]
    ) -> MethodFigures:
        ballots = context["ballots"]
        return {"balanced": balanced, "share": total / ballots if ballots else 0.0}
