"""Scoring against criteria: each voter scores themes on every criterion of the round; a theme's
total is the mean, over the voters who scored it, of their weighted score sum."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from edp import validate
from edp.errors import ValidationError
from edp.models import Criterion
from edp.voting.base import Counted, Row, Values, VotingMethod, integer, nanmean
from edp.voting.results import MethodFigures

CRITERIA_MAX = 10


class Score(VotingMethod):
    name = "score"
    position = 2
    averages = True
    uses_criteria = True
    result_columns = ("n", "dispersion")

    def configure(self, rnd: Any, spec: Any) -> None:  # noqa: ANN401
        if not 1 <= len(spec.criteria) <= CRITERIA_MAX:
            raise ValidationError("round.criteria_count", field="criteria", min=1, max=CRITERIA_MAX)
        for pos, c in enumerate(spec.criteria):
            lo = validate.integer(c.scale_min, "scale_min", lo=0, hi=99)
            hi = validate.integer(c.scale_max, "scale_max", lo=1, hi=100)
            if lo >= hi:
                raise ValidationError("round.scale_reversed", field="scale_max", min=lo)
            if any(c.name_en.strip().lower() == o.name_en.strip().lower() for o in spec.criteria[:pos]):
                raise ValidationError("round.criteria_duplicate", field="criterion_name_en", name=c.name_en)
            rnd.criteria.append(
                Criterion(
                    position=pos,
                    name_sv=validate.text(c.name_sv, "criterion_name_sv", min_len=1, max_len=120, multiline=False),
                    name_en=validate.text(c.name_en, "criterion_name_en", min_len=1, max_len=120, multiline=False),
                    description=validate.text(c.description, "criterion_description", max_len=validate.DESCRIPTION_MAX),
                    weight=validate.number(c.weight, "weight", lo=0.01, hi=100),
                    scale_min=lo,
                    scale_max=hi,
                )
            )

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        if not isinstance(choices, Mapping):
            raise ValidationError("ballot.malformed", field="ballot")
        criteria = {c.id: c for c in rules.criteria}
        rows: list[Row] = []
        for tid, scores in choices.items():
            tid = integer(tid, "theme")
            check_theme(tid)
            if not isinstance(scores, Mapping) or set(scores) != set(criteria):
                raise ValidationError("ballot.score_every_criterion", field="score", count=len(criteria))
            for cid, value in scores.items():
                c = criteria[cid]
                value = integer(value, "score")
                if not c.scale_min <= value <= c.scale_max:
                    raise ValidationError(
                        "input.out_of_range", field="score", min=c.scale_min, max=c.scale_max, value=value
                    )
                rows.append((tid, cid, value))
        return rows

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401
        crit = inp.criteria
        weight = np.array([c["weight"] for c in crit], dtype=float)
        # An entry without a criterion is not a score; one for a criterion the round does not
        # have makes its voter a scorer of the theme but adds nothing.
        has_criterion = counted.criterion.notna().to_numpy()
        b, t = counted.ballot[has_criterion], counted.column[has_criterion]
        value = counted.value[has_criterion]
        c = pd.Index([c["id"] for c in crit]).get_indexer(counted.criterion[has_criterion])
        known = c >= 0
        best = np.full((*counted.shape, len(crit)), np.nan)  # the higher score per ballot, theme and criterion
        np.fmax.at(best, (b[known], t[known], c[known]), value[known])
        scored = np.zeros(counted.shape, dtype=bool)
        scored[b, t] = True
        v = np.where(scored, np.nansum(best * weight, axis=2), np.nan)
        lo = float((weight * [c["scale_min"] for c in crit]).sum()) if crit else 0.0
        hi = float((weight * [c["scale_max"] for c in crit]).sum()) if crit else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (v - lo) / (hi - lo)
        means = nanmean(best).tolist()  # candidates x criteria
        names = [str(c["name_en"]) for c in crit]
        n = scored.sum(axis=0)
        per_theme = {
            "dispersion": np.where(n > 1, np.sqrt(nanmean((v - nanmean(v)) ** 2)), 0.0).tolist(),
            "criteria_means": [dict(zip(names, row, strict=True)) for row in means],
        }
        return Values(v=v, x=x, scored=scored, per_theme=per_theme)

    def theme_figures(
        self, i: int, values: Values, *, total: float, balanced: float, context: dict[str, float]
    ) -> MethodFigures:
        return {
            "n": int(values.scored[:, i].sum()),
            "dispersion": values.per_theme["dispersion"][i],
            "criteria_means": values.per_theme["criteria_means"][i],
            "balanced": balanced,
        }
