"""What a tally gives the screens and the files, as typed dictionaries (docs/tally.md defines each figure).

They are dictionaries, not classes, so results are read as before (`result["themes"]`,
`row["rank"]`), cached and written to JSON as they are, and mypy checks every key that is read.
A method's own figures (edp.voting: theme_figures, per_theme) are keys of MethodFigures that only
that method's rows have; tests/unit/test_tally.py fails when a method's rows carry a key that
ThemeResult does not list, or lack one it requires.

No `from __future__ import annotations` here: with it, Python 3.11 cannot tell NotRequired keys
from required ones at run time (__optional_keys__), which the test above reads.
"""

from typing import NotRequired, TypedDict


class MethodFigures(TypedDict):
    """A row's figures that its method gives (VotingMethod.theme_figures): "balanced" always."""

    balanced: float  # the total as if every reported helix group had cast equally many ballots
    share: NotRequired[float]  # dots, quadratic: part of everything given; approval: part of the ballots
    n: NotRequired[int]  # score: the voters who scored the theme
    dispersion: NotRequired[float]  # score: the SD of those voters' weighted score sums
    criteria_means: NotRequired[dict[str, float | None]]  # score: criterion name_en -> mean score
    mean_rank: NotRequired[float | None]  # rank: the mean place among voters who ranked it


class ThemeResult(MethodFigures):
    """One theme's row of a round's ranking: the figures every method shares, then its own."""

    theme_id: int
    title: str
    total: float
    voters: int
    by_helix: dict[str, float | None]  # each group in edp.voting.tally.REPORT_GROUPS; None when not shown
    agreement_voters: float | None
    agreement_helix: float | None
    consensus: float | None
    merged_from: list[int]  # ids of the themes counted for this one
    rank: int  # competition rank: equal totals share one (1, 2, 2, 4)
    tied: bool


class TurnoutFigures(TypedDict):
    participants: int
    ballots: int
    rate: float | None  # None when nobody could vote


class Turnout(TypedDict):
    overall: TurnoutFigures
    by_helix: dict[str, TurnoutFigures]  # each group in edp.models.HELIX_GROUPS


class HelixBreakdown(TypedDict, total=False):
    """Which groups a ranking breaks out (edp.voting.tally.reporting_groups); empty when not known."""

    min_ballots: int
    shown: list[str]  # reported groups, in edp.voting.tally.REPORT_GROUPS order
    folded: list[str]  # helix groups folded into "other"
    withheld: bool  # no group is shown


class CriterionInfo(TypedDict):
    """A criterion of a scored round, as the tally reads it."""

    id: int
    name_sv: str
    name_en: str
    weight: float
    scale_min: int
    scale_max: int


class RoundResultDict(TypedDict):
    """edp.voting.tally.RoundResult.as_dict(): what the pages cache and read, and the JSON export."""

    round: int
    method: str
    participants: int
    ballots: int
    turnout: Turnout
    helix_breakdown: HelixBreakdown
    balanced_label: dict[str, str]
    criteria: list[CriterionInfo]
    themes: list[ThemeResult]
