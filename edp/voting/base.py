"""What a voting method is: one object that owns everything that differs between methods.

The rest of the engine asks the method and never names one: the round-spec checks
(edp.workshop), what a valid ballot is (edp.voting.ballots), each voter's value per theme and the
figures the tally adds for it (edp.voting.tally), the result's own columns (edp.io.exports) and whether
its groups are compared as sums or as means (edp.charts). A method is registered by defining a
subclass with a `name`; docs/tally.md must have a section for it (tests/unit/test_voting.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np

from edp.errors import ValidationError
from edp.voting.results import MethodFigures

if TYPE_CHECKING:
    import pandas as pd

Row = tuple[int, int | None, int]  # theme_id, criterion_id (None unless per criterion), value

REGISTRY: dict[str, VotingMethod] = {}


def nanmean(a: np.ndarray) -> np.ndarray:
    """Column means over the non-NaN values; NaN for a column without any."""
    count = (~np.isnan(a)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(a, axis=0) / count


def integer(value: Any, field_name: str) -> int:
    """An int from a ballot (a bool is not one), or the ballot is refused naming the field."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("input.not_integer", field=field_name)
    return value


def theme_ids(value: Any, *, ordered: bool) -> list[int]:
    """A ballot's list of theme ids. A ranking must come in an order the voter chose; a set has none."""
    kinds = (Sequence,) if ordered else (Sequence, set, frozenset)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, kinds):
        raise ValidationError("ballot.malformed", field="ballot")
    return [integer(t, "theme") for t in value]


def capped_sum(counted: Counted, cap: int | None) -> Values:
    """Each voter's value per theme as the sum of their entries for it (entries on themes merged
    into one add up), capped at `cap` (none when 0 or None), and scaled to [0, 1] by it: for the
    methods where a voter spreads a budget (dots, quadratic votes)."""
    v = np.zeros(counted.shape)
    np.add.at(v, (counted.ballot, counted.column), counted.value)
    if cap:
        v = np.minimum(v, cap)
    return Values(v=v, x=v / float(cap or 1), scored=np.ones(counted.shape, dtype=bool))


def share_of_all(total: float, balanced: float, context: dict[str, float]) -> MethodFigures:
    """'balanced', then 'share': the theme's part of everything given in the round."""
    grand = context["grand"]
    return {"balanced": balanced, "share": total / grand if grand else 0.0}


@dataclass
class Counted:
    """The ballot entries that count, as the tally hands them to a method: entry i is ballot
    `ballot[i]`'s value `value[i]` for candidate column `column[i]` (merges already followed),
    with its criterion id (NaN when none); `shape` is (ballots, candidates)."""

    ballot: np.ndarray
    column: np.ndarray
    value: np.ndarray
    criterion: pd.Series
    shape: tuple[int, int]


@dataclass
class Values:
    """What a method makes of the counted entries.

    v: ballots x candidates, the voter's value (NaN where the voter does not count for the theme);
    x: v scaled to [0, 1] by the method's range (consensus); scored: where a voter counts;
    per_theme: the method's own per-theme figures, by name, one list entry per candidate."""

    v: np.ndarray
    x: np.ndarray
    scored: np.ndarray
    per_theme: dict[str, list[Any]] = field(default_factory=dict)


class VotingMethod:
    """One voting method. Subclasses set `name` and implement configure, normalise and values."""

    name: ClassVar[str]
    position: ClassVar[int]  # where the method stands in the facilitator's list of methods
    # A mean method's total is the mean over the voters who rated the theme (groups compared as
    # means); otherwise totals are sums over ballots (groups compared as parts of the sum).
    averages: ClassVar[bool] = False
    # The result's own columns in exports (after the common ones), in order.
    result_columns: ClassVar[tuple[str, ...]] = ()
    # Its ballots are checked against the round's criteria (read with the round only when needed).
    uses_criteria: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if cls.name in REGISTRY:
                raise ValueError(f"voting method {cls.name!r} is registered twice")
            REGISTRY[cls.name] = cls()

    # ------------------------------------------------------------ the round's settings

    def configure(self, rnd: Any, spec: Any) -> None:  # noqa: ANN401 - a Round and a RoundSpec
        """Check the spec's settings for this method and set them on the new round (a Round)."""

    def fit_to_ballot(self, spec: Any, themes: int) -> Any:  # noqa: ANN401 - a RoundSpec
        """The spec for a round whose ballot has `themes` themes (advance): unchanged by default."""
        return spec

    # ------------------------------------------------------------ ballots

    def normalise(self, rules: Any, check_theme: Callable[[int], None], choices: Any) -> list[Row]:  # noqa: ANN401
        """The ballot's entry rows, or ValidationError naming the field and the limit. `rules` has
        the round's settings (edp.voting.ballots.RoundRules); check_theme refuses a theme not on the ballot."""
        raise NotImplementedError

    # ------------------------------------------------------------ the tally

    def values(self, inp: Any, counted: Counted) -> Values:  # noqa: ANN401 - an edp.voting.tally.RoundInput
        raise NotImplementedError

    def theme_figures(
        self, i: int, values: Values, *, total: float, balanced: float, context: dict[str, float]
    ) -> MethodFigures:
        """Candidate i's figures after total and voters: "balanced" and the method's own, in the
        order results show them. context: "grand" (the sum of all totals) and "ballots".
        By default the per_theme figures, by name: each must be a key of MethodFigures."""
        return cast(
            MethodFigures, {"balanced": balanced, **{name: figures[i] for name, figures in values.per_theme.items()}}
        )


def names() -> tuple[str, ...]:
    """The registered methods' names in the facilitator's order."""
    return tuple(sorted(REGISTRY, key=lambda name: REGISTRY[name].position))


def method(name: str) -> VotingMethod:
    """The registered method called `name` (KeyError for an unknown one)."""
    return REGISTRY[name]
