"""File writers: the pseudonymous ballot export that lets anyone recount a round, and a round's
tally as CSV and XLSX (every text cell guarded against spreadsheet formula injection)."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from edp import voting
from edp.access import Credential
from edp.db import read
from edp.formulas import FORMULA_STARTS, guard_text  # kept here as names of this module too
from edp.i18n import t
from edp.voting.results import RoundResultDict
from edp.voting.tally import (
    BALANCED_LABEL,
    MIN_GROUP_BALLOTS,
    REPORT_GROUPS,
    RoundResult,
    check_results_visible,
    helix_note,
    load_round_input,
    reporting_groups,
    resolve_merges,
)

BALLOT_COLUMNS = ["ballot", "helix", "theme_id", "counted_theme_id", "theme_title", "criterion", "value"]


def ballot_rows(engine: Engine, who: Credential | None, round_id: int) -> pd.DataFrame:
    """One row per ballot entry. The ballot id is a random pseudonym; no names, no tokens.
    Shown to whoever may see the round's results (edp.voting.tally.check_results_visible).

    `helix` is the ballot's reported group (edp.voting.tally.reporting_groups): a helix group of fewer than
    3 ballots is written as "other", and when "other" is smaller than that too, no ballot has a
    group (""). Ballots are listed by pseudonym, not in the order they were cast, so the file
    cannot be lined up with who was seen voting when; a ballot's entries keep their order."""
    with read(engine) as s:
        rnd = check_results_visible(s, who, round_id)
        inp = load_round_input(s, round_id)
        crit_name = {c.id: c.name_en for c in rnd.criteria}
    counted = resolve_merges(inp.themes)
    titles = dict(zip(inp.themes.theme_id, inp.themes.title, strict=True))
    e = inp.entries.sort_values("ballot", kind="stable", ignore_index=True)
    first = e.drop_duplicates("ballot")
    group_of, _ = reporting_groups(pd.Series(first["helix"].to_numpy(), index=first["ballot"].to_numpy(), dtype=object))
    out = pd.DataFrame(
        {
            "ballot": e["ballot"],
            "helix": e["ballot"].map(group_of).astype(object),
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


# ---------------------------------------------------------------- tallies as spreadsheets

HELIX_COLUMNS = [f"helix_{g}" for g in REPORT_GROUPS]
TAIL_COLUMNS = ["consensus", "agreement_voters", "agreement_helix", *HELIX_COLUMNS, "merged_from"]


def _as_dict(result: RoundResult | RoundResultDict) -> RoundResultDict:
    return result.as_dict() if isinstance(result, RoundResult) else result


def tally_columns(result: RoundResult | RoundResultDict) -> list[str]:
    r = _as_dict(result)
    # The method's own columns after the common ones (edp.voting); criteria means follow when the round has criteria.
    method = voting.REGISTRY.get(r["method"])
    own = list(method.result_columns) if method else []
    means = [f"mean_{c['name_en']}" for c in r["criteria"]]
    head = ["rank", "tied", "theme_id", "title", "total", "balanced", "voters"]
    return [*head, *own, *means, *TAIL_COLUMNS]


def tally_frame(result: RoundResult | RoundResultDict) -> pd.DataFrame:
    """One row per ranked theme, in ranking order, with stable English column names."""
    r = _as_dict(result)
    rows = []
    for theme in r["themes"]:
        row: dict[str, object] = {k: v for k, v in theme.items() if not isinstance(v, dict | list)}
        row.update({f"helix_{g}": theme["by_helix"].get(g) for g in REPORT_GROUPS})
        row.update({f"mean_{name}": v for name, v in (theme.get("criteria_means") or {}).items()})
        row["merged_from"] = ";".join(str(i) for i in theme.get("merged_from", []))
        rows.append(row)
    return pd.DataFrame(rows, columns=tally_columns(r))


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell and header is guarded against formulas (guard_text)."""
    guarded = frame.copy()
    for col in guarded.columns:
        if guarded[col].dtype == object or pd.api.types.is_string_dtype(guarded[col]):
            guarded[col] = guarded[col].map(guard_text)
    guarded.columns = [guard_text(str(c)) for c in guarded.columns]
    return guarded


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM, so Excel reads å, ä, ö) with every text cell guarded against formulas.
    The command line writes the same guarded frame (guard_frame), without the BOM."""
    return guard_frame(frame).to_csv(index=False).encode("utf-8-sig")


def tally_csv(result: RoundResult | RoundResultDict) -> bytes:
    return safe_csv(tally_frame(result))


def ballots_csv(engine: Engine, who: Credential | None, round_id: int) -> bytes:
    """The pseudonymous ballots of a round (ballot_rows) as a guarded CSV."""
    return safe_csv(ballot_rows(engine, who, round_id))


def _cell_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _write_rows(ws: Any, rows: list[list[Any]]) -> None:  # noqa: ANN401 - an openpyxl worksheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(value))
            if isinstance(cell.value, str):
                # openpyxl would store "=..." as a formula; as a string with a quote prefix
                # Excel and LibreOffice show it as text and never evaluate it.
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True


def tally_xlsx(result: RoundResult | RoundResultDict, lang: str) -> bytes:
    """The tally as a workbook: the ranking (headers in `lang`), turnout per helix group, and notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    r = _as_dict(result)
    frame = tally_frame(r)
    wb = Workbook()
    ranking = wb.active
    ranking.title = t("ui.res.xlsx.sheet_ranking", lang)
    headers = [_column_label(col, r, lang) for col in frame.columns]
    body = [[_cell_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    _write_rows(ranking, [headers, *body])

    turnout = wb.create_sheet(t("ui.res.xlsx.sheet_turnout", lang))
    tr = r["turnout"]
    rows: list[list[Any]] = [[t("ui.res.col.helix", lang), t("ui.res.col.participants", lang),
                              t("ui.res.col.ballots", lang), t("ui.res.col.rate", lang)]]  # fmt: skip
    rows += [[t(f"helix.{g}", lang), v["participants"], v["ballots"], v["rate"]] for g, v in tr["by_helix"].items()]
    o = tr["overall"]
    rows.append([t("ui.res.col.all", lang), o["participants"], o["ballots"], o["rate"]])
    _write_rows(turnout, rows)

    notes = wb.create_sheet(t("ui.res.xlsx.sheet_notes", lang))
    _write_rows(
        notes,
        [
            [t("ui.res.col.round", lang), r["round"]],
            [t("ui.res.col.method", lang), t(f"method.{r['method']}", lang)],
            [t("ui.res.col.balanced", lang), BALANCED_LABEL.get(lang, BALANCED_LABEL["en"])],
            [
                t("ui.res.col.helix", lang),
                helix_note(r.get("helix_breakdown") or {}, lang)
                or t("ui.res.helix_all_shown", lang, min=MIN_GROUP_BALLOTS),
            ],
            [t("ui.res.col.consensus", lang), t("ui.res.consensus_help", lang)],
        ],
    )
    for ws in (ranking, turnout):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    ranking.column_dimensions["D"].width = 50
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _column_label(col: str, result: RoundResultDict, lang: str) -> str:
    if col.startswith("helix_"):
        return t(f"helix.{col.removeprefix('helix_')}", lang)
    if col.startswith("mean_"):
        name = col.removeprefix("mean_")
        crit = next((c for c in result["criteria"] if c["name_en"] == name), None)
        label = (crit["name_sv"] if lang == "sv" else crit["name_en"]) if crit else name
        return t("ui.res.col.mean_of", lang, name=label)
    if col == "total":
        return t(f"ui.res.chart.value.{result['method']}", lang)
    return t(f"ui.res.col.{col}", lang)
