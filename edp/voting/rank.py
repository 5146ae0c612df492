"""Ranking: each voter ranks up to K themes, best first; Borda points K - rank + 1."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from edp import validate
from edp.errors import ValidationError
from edp.voting.base import Counted, Row, Values, VotingMethod, nanmean, theme_ids


class Rank(VotingMethod):
    name = "rank"
    position = 3
    result_columns = ("mean_rank",)

    def configure(self, rnd: Any, spec: Any) -> None:  # noqa: ANN401
        rnd.rank_count = validate.integer(spec.rank_count, "rank_count", lo=1, hi=50)

    def fit_to_ballot(self, spec: Any, themes: int) -> Any:  # noqa: ANN401
        # A round of the top K cannot ask for more places than it has themes.
        if spec.rank_count is not None and spec.rank_count > themes:
            return dataclasses.replace(spec, rank_count=themes)
        return spec

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        order = theme_ids(choices, ordered=True)
        limit = rules.rank_count or 0
        if len(set(order)) != len(order):
            raise ValidationError("ballot.rank_duplicate", field="rank")
        if len(order) > limit:
            raise ValidationError("ballot.rank_too_many", field="rank", max=limit, value=len(order))
        rows: list[Row] = []
        for pos, tid in enumerate(order, start=1):
            check_theme(tid)
            rows.append((tid, None, pos))
        return rows

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401
        k = inp.rank_count or 1
        best_rank = np.full(counted.shape, np.nan)  # the better rank per ballot and theme
        np.fmin.at(best_rank, (counted.ballot, counted.column), counted.value)
        v = np.where(np.isnan(best_rank), 0.0, k - best_rank + 1)
        return Values(
            v=v,
            x=v / float(k),
            scored=np.ones(counted.shape, dtype=bool),
            per_theme={"mean_rank": nanmean(best_rank).tolist()},
        )
