"""File writers. For now: the pseudonymous ballot export that lets anyone recount a round."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from edp.db import read
from edp.models import Round
from edp.tally import load_round_input, resolve_merges

BALLOT_COLUMNS = ["ballot", "helix", "theme_id", "counted_theme_id", "theme_title", "criterion", "value"]


def ballot_rows(engine: Engine, round_id: int) -> pd.DataFrame:
    """One row per ballot entry. The ballot id is a random pseudonym; no names, no tokens."""
    with read(engine) as s:
        inp = load_round_input(s, round_id)
        rnd = s.get(Round, round_id)
        crit_name = {c.id: c.name_en for c in rnd.criteria}
    counted = resolve_merges(inp.themes)
    titles = dict(zip(inp.themes.theme_id, inp.themes.title, strict=True))
    e = inp.entries
    out = pd.DataFrame(
        {
            "ballot": e["ballot"],
            "helix": e["helix"],
            "theme_id": e["theme_id"].astype(int),
            "counted_theme_id": [counted.get(t) for t in e["theme_id"]],
            "theme_title": [titles.get(t, "") for t in e["theme_id"]],
            "criterion": [crit_name.get(c, "") if c is not None and c == c else "" for c in e["criterion_id"]],
            "value": e["value"].astype(int),
        },
        columns=BALLOT_COLUMNS,
    )
    out["counted_theme_id"] = out["counted_theme_id"].astype("Int64")
    return out
