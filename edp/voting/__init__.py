"""Voting methods, one module each, found through one registry (edp.voting.base.REGISTRY).

A new method is one module here (a VotingMethod subclass, imported below), its ballot form in
edp/ui/, its messages in both catalogues and its section in docs/tally.md.
"""

from edp.voting import approval, dots, rank, score  # noqa: F401 - each registers its method
from edp.voting.base import REGISTRY, Counted, Row, Values, VotingMethod, method

NAMES = tuple(sorted(REGISTRY, key=lambda name: REGISTRY[name].position))  # in the facilitator's order

__all__ = ["NAMES", "REGISTRY", "Counted", "Row", "Values", "VotingMethod", "method"]
