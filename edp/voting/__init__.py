"""Voting methods, one module each, found through one registry (edp.voting.base.REGISTRY).

Every module in this package is imported here, and each VotingMethod subclass with a `name`
registers itself: a new method is one module dropped in here, its ballot form in
edp/ui/methods/, its messages in both catalogues and its section in docs/tally.md.
"""

import importlib
import pkgutil

from edp.voting.base import REGISTRY, Counted, Row, Values, VotingMethod, method, names

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

NAMES = names()  # the methods that come with the engine, in the facilitator's order

__all__ = ["NAMES", "REGISTRY", "Counted", "Row", "Values", "VotingMethod", "method", "names"]
