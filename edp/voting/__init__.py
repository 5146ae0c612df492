"""Voting: the methods, one module each, found through one registry (edp.voting.base.REGISTRY);
ballots (their check and atomic submission), the tally and the merge chains every count follows.

Every other module in this package (not base, ballots, merges, results or tally) is a method: it
is imported here, and each VotingMethod subclass with a `name` registers itself. A new method is one module dropped in here, its ballot
form in edp/ui/methods/, its messages in both catalogues and its section in docs/tally.md.

This package re-exports the public names of ballots, tally and merges, except three left to their
modules: ballots.Row (the same as base.Row), tally.resolve_merges (a frame's merges;
merges.resolve_merges is the one here) and the function tally.tally, which would hide the module
edp.voting.tally. Inside the package, modules import each other directly, never through here.
"""

import importlib
import pkgutil

from edp.voting.ballots import (
    REPLACE_BURST,
    REPLACE_INTERVAL_S,
    RoundRules,
    my_ballot,
    normalise,
    submit_ballot,
    submit_paper_ballot,
)
from edp.voting.base import REGISTRY, Counted, Row, Values, VotingMethod, method, names
from edp.voting.merges import active_theme_ids, active_theme_ids_of, ballot_survivors, resolve_merges
from edp.voting.tally import (
    ADDITIVE,
    BALANCED_LABEL,
    ENTRY_CHUNK,
    ENTRY_COLUMNS,
    MIN_GROUP_BALLOTS,
    NO_CRITERION,
    OTHER,
    REPORT_GROUPS,
    RoundInput,
    RoundResult,
    balanced_weights,
    check_results_visible,
    helix_note,
    load_round_input,
    load_round_results,
    reporting_groups,
    results_readers,
    round_results,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "ballots", "merges", "results", "tally"):  # the methods
        importlib.import_module(f"{__name__}.{_module.name}")

NAMES = names()  # the methods that come with the engine, in the facilitator's order

__all__ = [
    "ADDITIVE",
    "BALANCED_LABEL",
    "Counted",
    "ENTRY_CHUNK",
    "ENTRY_COLUMNS",
    "MIN_GROUP_BALLOTS",
    "NAMES",
    "NO_CRITERION",
    "OTHER",
    "REGISTRY",
    "REPLACE_BURST",
    "REPLACE_INTERVAL_S",
    "REPORT_GROUPS",
    "RoundInput",
    "RoundResult",
    "RoundRules",
    "Row",
    "Values",
    "VotingMethod",
    "active_theme_ids",
    "active_theme_ids_of",
    "balanced_weights",
    "ballot_survivors",
    "check_results_visible",
    "helix_note",
    "load_round_input",
    "load_round_results",
    "method",
    "my_ballot",
    "names",
    "normalise",
    "reporting_groups",
    "resolve_merges",
    "results_readers",
    "round_results",
    "submit_ballot",
    "submit_paper_ballot",
]
