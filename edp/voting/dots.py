"""Dot voting: each voter spreads a budget of dots over the themes, at most a cap on one theme."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from edp import validate
from edp.errors import ValidationError
from edp.voting.base import Counted, Row, Values, VotingMethod, capped_sum, integer, share_of_all
from edp.voting.results import MethodFigures


class Dots(VotingMethod):
    name = "dots"
    position = 1
    result_columns = ("share",)

    def configure(self, rnd: Any, spec: Any) -> None:  # noqa: ANN401
        rnd.dots_per_participant = validate.integer(spec.dots_per_participant, "dots_per_participant", lo=1, hi=100)
        cap = spec.max_dots_per_theme if spec.max_dots_per_theme is not None else rnd.dots_per_participant
        rnd.max_dots_per_theme = validate.integer(cap, "max_dots_per_theme", lo=1, hi=rnd.dots_per_participant)

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        if not isinstance(choices, Mapping):
            raise ValidationError("ballot.malformed", field="ballot")
        budget, cap = rules.dots_per_participant or 0, rules.max_dots_per_theme or 0
        rows: list[Row] = []
        total = 0
        for tid, dots in choices.items():
            tid, dots = integer(tid, "theme"), integer(dots, "dots")
            check_theme(tid)
            if dots < 0:
                raise ValidationError("input.out_of_range", field="dots", min=0, max=cap, value=dots)
            if dots > cap:
                raise ValidationError("ballot.dots_cap", field="dots", max=cap, value=dots)
            total += dots
            if dots:
                rows.append((tid, None, dots))
        if total > budget:
            raise ValidationError("ballot.dots_budget", field="dots", max=budget, value=total)
        return rows

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401
        # One voter's dots on themes merged into one are summed, then capped at the per-theme maximum.
        return capped_sum(counted, inp.dots_cap)

    def theme_figures(
        self, i: int, values: Values, *, total: float, balanced: float, context: dict[str, float]
    ) -> MethodFigures:
        return share_of_all(total, balanced, context)
