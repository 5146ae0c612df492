"""Quadratic voting: each voter has a budget of credits; n votes on one theme cost n² credits.

A voter can show how strongly they care (three votes on one theme cost 9 credits, the same as
one vote on each of nine themes), which dot voting cannot: there a strong preference costs as
much per dot as a mild one. The round's budget is its settings' "credits".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from edp import validate
from edp.errors import ValidationError
from edp.voting.base import Counted, Row, Values, VotingMethod, capped_sum, integer, share_of_all
from edp.voting.results import MethodFigures

CREDITS_MAX = 10_000


def most_votes(credits: int) -> int:
    """The most votes one theme can get from one voter: the largest n with n² <= credits."""
    return math.isqrt(max(credits, 0))


class Quadratic(VotingMethod):
    name = "quadratic"
    position = 5
    result_columns = ("share",)

    def configure(self, rnd: Any, spec: Any) -> None:  # noqa: ANN401
        if spec.settings.get("credits") is None:
            raise ValidationError("input.required", field="credits")
        credits = validate.integer(spec.settings["credits"], "credits", lo=1, hi=CREDITS_MAX)
        rnd.settings = {"credits": credits}

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        if not isinstance(choices, Mapping):
            raise ValidationError("ballot.malformed", field="ballot")
        credits = int(rules.settings.get("credits", 0))
        cap = most_votes(credits)
        rows: list[Row] = []
        spent = 0
        for tid, votes in choices.items():
            tid, votes = integer(tid, "theme"), integer(votes, "votes")
            check_theme(tid)
            if not 0 <= votes <= cap:
                raise ValidationError("input.out_of_range", field="votes", min=0, max=cap, value=votes)
            spent += votes * votes
            if votes:
                rows.append((tid, None, votes))
        if spent > credits:
            raise ValidationError("ballot.credits_budget", field="votes", max=credits, value=spent)
        return rows

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401
        # One voter's votes on themes merged into one are summed, then capped at what one theme
        # can get from one voter (most_votes), as dots are capped at the per-theme maximum.
        return capped_sum(counted, most_votes(int(inp.settings.get("credits", 0))) or 1)

    def theme_figures(
        self, i: int, values: Values, *, total: float, balanced: float, context: dict[str, float]
    ) -> MethodFigures:
        return share_of_all(total, balanced, context)
