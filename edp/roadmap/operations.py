"""Roadmap operations: create (empty, from a priority, from the S3 template), edit goals, activities,
milestones and KPIs as tables, record measurements, lead actors' update links, follow-up, import.

Every public function is one transaction: it does everything or nothing and raises a typed
edp.errors error on misuse. A table save checks every row first and reports each bad row
(RowErrors); nothing is written unless all rows are good. Every write bumps the roadmap's
version (which also serialises writes to one roadmap) and adds a RoadmapEvent to the audit log.

Rows are dicts, as st.data_editor and the XLSX import give them. Actors are referenced by id or
by name (case-insensitive), goals by id or by title (unique within a roadmap), KPIs by id or name.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from edp import validate
from edp.access import SYSTEM, Credential, acting, require_lead, require_read
from edp.db import read, write
from edp.errors import Conflict, EdpError, NotFound, PermissionDenied, RowErrors, SheetErrors, ValidationError
from edp.i18n import t
from edp.models import (
    ACTIVITY_STATUSES,
    KPI_KINDS,
    ROADMAP_STATUSES,
    Activity,
    Actor,
    ActorLink,
    Goal,
    Kpi,
    KpiMeasurement,
    Milestone,
    Priority,
    Process,
    Roadmap,
    RoadmapEvent,
    Theme,
    Workshop,
    utcnow,
)
from edp.roadmap.views import ActivityView, KpiView, RoadmapView, roadmap_view
from edp.security import new_token, token_hash
from edp.workshop import actor_named

TITLE_MAX = 200
TEXT_MAX = 4000
UNIT_MAX = 40
SOURCE_MAX = 200
NOTE_MAX = 1000
EU_CODE = re.compile(r"^[A-Z]{2,6}[0-9]{1,4}[a-z]?$")
EU_CODE_MAX = 20
BUDGET_MAX = 100_000_000_000  # SEK
VALUE_MAX = 1e15
PERIOD_YEARS_MAX = 30
ROWS_MAX = 2000  # per table


@dataclass(frozen=True)
class Notice:
    """Not an error: a date outside the roadmap's period. `key` is a gettext key."""

    key: str
    params: dict[str, Any]

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


# ---------------------------------------------------------------- shared pieces


def _lock(s: Session, who: Credential, roadmap_id: int, expected_version: int | None = None) -> Roadmap:
    """Check that `who` leads the roadmap's process, then lock the roadmap for this transaction and
    bump its version.

    With `expected_version` (the version the editor's data was read at), a roadmap that someone
    else changed in the meantime is refused instead of overwritten: a whole-table save from a
    stale screen would otherwise undo a lead actor's status update or another leader's rows."""
    process_id = (
        s.scalar(select(Roadmap.process_id).where(Roadmap.id == roadmap_id)) if isinstance(roadmap_id, int) else None
    )
    if process_id is None:
        raise NotFound("roadmap.not_found", id=roadmap_id)
    require_lead(acting(s, who), process_id)
    where = [Roadmap.id == roadmap_id]
    if expected_version is not None:
        where.append(Roadmap.version == expected_version)
    res = s.execute(
        update(Roadmap)
        .where(*where)
        .values(version=Roadmap.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 0:
        if expected_version is not None and s.get(Roadmap, roadmap_id) is not None:
            raise Conflict("roadmap.changed_meanwhile")
        raise NotFound("roadmap.not_found", id=roadmap_id)
    rm = s.get(Roadmap, roadmap_id)
    s.refresh(rm)
    return rm


def _event(s: Session, roadmap_id: int, kind: str, actor_id: int | None = None, **detail: Any) -> None:
    s.add(RoadmapEvent(roadmap_id=roadmap_id, kind=kind, actor_id=actor_id, detail=_jsonable(detail)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _optional_int(value: Any, field: str, *, lo: int, hi: int) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        cleaned = value.replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"-?[0-9]+", cleaned):
            value = int(cleaned)
    return validate.integer(value, field, lo=lo, hi=hi)


def _number(value: Any, field: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(" ", "").replace(",", "."))
        except ValueError:
            raise ValidationError("input.not_number", field=field) from None
    if _blank(value):
        raise ValidationError("input.required", field=field)
    if isinstance(value, float) and math.isinf(value):
        raise ValidationError("input.out_of_range", field=field, min=-VALUE_MAX, max=VALUE_MAX, value=value)
    return validate.number(value, field, lo=-VALUE_MAX, hi=VALUE_MAX)


def _date(value: Any, field: str, *, required: bool = True) -> dt.date | None:
    if _blank(value):
        if required:
            raise ValidationError("input.required", field=field)
        return None
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp from st.data_editor
        value = value.to_pydatetime()
    d = validate.date(value, field)
    if d is not None and not 2000 <= d.year <= 2100:
        raise ValidationError("input.date_out_of_range", field=field, min="2000-01-01", max="2100-12-31")
    return d


def _status(value: Any, field: str, options: tuple[str, ...], default: str) -> str:
    if _blank(value):
        return default
    return validate.choice(str(value).strip().lower(), field, options)


def _actor(s: Session, process_id: int, value: Any, field: str, *, required: bool = True) -> Actor | None:
    """An actor of this process, by id or by name; an unknown one is an error naming it."""
    if _blank(value):
        if required:
            raise ValidationError("input.required", field=field)
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        actor = s.get(Actor, value)
        if actor is None or actor.process_id != process_id:
            raise ValidationError("roadmap.actor_unknown", field=field, name=str(value))
        return actor
    name = validate.text(value, field, max_len=200, min_len=1, multiline=False)
    actor = actor_named(s, process_id, name)
    if actor is None:
        raise ValidationError("roadmap.actor_unknown", field=field, name=name)
    return actor


def _partners(s: Session, process_id: int, value: Any) -> list[Actor]:
    if _blank(value):
        return []
    items = [p.strip() for p in value.split(";")] if isinstance(value, str) else list(value)
    out: list[Actor] = []
    for item in items:
        if _blank(item):
            continue
        actor = _actor(s, process_id, item, "partners")
        if actor is not None and actor not in out:
            out.append(actor)
    return out


def _eu_code(value: Any) -> str:
    code = validate.text(value, "eu_code", max_len=EU_CODE_MAX, multiline=False).upper()
    if code and not EU_CODE.match(code):
        raise ValidationError("roadmap.eu_code_format", field="eu_code", example="RCO16")
    return code


def _period(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    start_d = _date(start, "roadmap_start")
    end_d = _date(end, "roadmap_end")
    if end_d < start_d:
        raise ValidationError("roadmap.end_before_start", field="roadmap_end", start=start_d.isoformat())
    if end_d.year - start_d.year > PERIOD_YEARS_MAX:
        raise ValidationError("roadmap.period_too_long", field="roadmap_end", max=PERIOD_YEARS_MAX)
    return start_d, end_d


def _roadmap_values(s: Session, process_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    start, end = _period(data.get("period_start"), data.get("period_end"))
    owner = _actor(s, process_id, data.get("owner"), "owner", required=False)
    return {
        "title": validate.text(data.get("title"), "title", max_len=TITLE_MAX, min_len=1, multiline=False),
        "vision": validate.text(data.get("vision"), "vision", max_len=TEXT_MAX),
        "period_start": start,
        "period_end": end,
        "owner_actor_id": owner.id if owner else None,
        "status": _status(data.get("status"), "status", ROADMAP_STATUSES, "draft"),
    }


def _process(s: Session, who: Credential, process_id: int, *, lead: bool = True) -> Process:
    """The process, once `who` is checked: its leader (or an admin), or with lead=False also an observer."""
    proc = s.get(Process, process_id) if isinstance(process_id, int) else None
    if proc is None:
        raise NotFound("process.not_found", id=process_id)
    p = acting(s, who)
    (require_lead if lead else require_read)(p, proc.id)
    return proc


# ---------------------------------------------------------------- roadmaps


def create_roadmap(
    engine: Engine, who: Credential, process_id: int, data: Mapping[str, Any], *, priority_id: int | None = None
) -> int:
    """A new, empty roadmap (title, vision, period_start, period_end, owner, status)."""
    with write(engine) as s:
        _process(s, who, process_id)
        values = _roadmap_values(s, process_id, data)
        if priority_id is not None:
            _priority_of_process(s, priority_id, process_id)
        rm = Roadmap(process_id=process_id, priority_id=priority_id, **values)
        s.add(rm)
        s.flush()
        _event(s, rm.id, "roadmap.created", title=rm.title, priority_id=priority_id)
        return rm.id


def _priority_of_process(s: Session, priority_id: int, process_id: int) -> Priority:
    p = s.get(Priority, priority_id)
    if p is None or s.get(Workshop, p.workshop_id).process_id != process_id:
        raise NotFound("priority.not_found", id=priority_id)
    return p


def priority_defaults(engine: Engine, who: Credential, priority_id: int) -> dict[str, Any]:
    """What a roadmap made from this priority starts with: its theme's title, the rationale (or
    the theme's description) as the vision, and a period from the workshop's year (three years)."""
    with read(engine) as s:
        p = s.get(Priority, priority_id)
        if p is None:
            raise NotFound("priority.not_found", id=priority_id)
        theme = s.get(Theme, p.theme_id)
        ws = s.get(Workshop, p.workshop_id)
        proc = _process(s, who, ws.process_id, lead=False)
        first = (ws.date.year if ws.date else None) or proc.period_start or dt.date.today().year
        last = max(proc.period_end or first + 2, first)
        return {
            "process_id": ws.process_id,
            "title": theme.title,
            "vision": p.rationale or theme.description,
            "period_start": dt.date(first, 1, 1),
            "period_end": dt.date(last, 12, 31),
        }


def create_from_priority(
    engine: Engine, who: Credential, priority_id: int, data: Mapping[str, Any] | None = None
) -> int:
    """A roadmap linked to a workshop priority, pre-filled from it; `data` overrides the defaults."""
    defaults = priority_defaults(engine, who, priority_id)
    process_id = defaults.pop("process_id")
    return create_roadmap(engine, who, process_id, {**defaults, **(data or {})}, priority_id=priority_id)


# S3 KPI suggestions: the EU's common indicators for policy objective 1 that S3 programmes report.
S3_KPIS: tuple[tuple[str, str, str, str, str], ...] = (
    # code, kind, unit, Swedish name, English name
    ("RCO01", "output", "antal", "Företag som får stöd", "Enterprises supported"),
    ("RCO07", "output", "antal", "Forskningsorganisationer i gemensamma forskningsprojekt",
     "Research organisations in joint research projects"),
    ("RCO16", "output", "antal", "Institutionella aktörer som deltar i entreprenöriell process (EDP)",
     "Institutional stakeholders in the entrepreneurial discovery process"),
    ("RCO101", "output", "antal", "SMF som investerar i kompetens för smart specialisering",
     "SMEs investing in skills for smart specialisation"),
    ("RCR03", "result", "antal", "SMF som inför produkt- eller processinnovationer",
     "SMEs introducing product or process innovation"),
    ("RCR02", "result", "SEK", "Privata investeringar som matchar offentligt stöd",
     "Private investments matching public support"),
)  # fmt: skip


def add_template_kpis(
    engine: Engine, who: Credential, roadmap_id: int, lang: str, lead: int | str | None = None
) -> int:
    """Add the S3 KPI suggestions (baseline 0 at the start, target 0 at the end: to be filled in)."""
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id)
        lead_actor = _actor(s, rm.process_id, lead if lead is not None else rm.owner_actor_id, "lead_actor")
        have = {k.eu_code for k in rm.kpis}
        added = 0
        for code, kind, unit, sv, en in S3_KPIS:
            if code in have:
                continue
            s.add(Kpi(
                roadmap_id=rm.id, name=sv if lang == "sv" else en, unit=unit, kind=kind, baseline_value=0.0,
                baseline_date=rm.period_start, target_value=0.0, target_date=rm.period_end,
                lead_actor_id=lead_actor.id, source="", eu_code=code, position=len(rm.kpis) + added,
            ))  # fmt: skip
            added += 1
        _event(s, rm.id, "kpis.template", added=added)
        return added


def update_roadmap(
    engine: Engine, who: Credential, roadmap_id: int, data: Mapping[str, Any], *, expected_version: int | None = None
) -> list[Notice]:
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id, expected_version)
        values = _roadmap_values(s, rm.process_id, data)
        before = {k: getattr(rm, k) for k in values}
        for k, v in values.items():
            setattr(rm, k, v)
        changed = {k: [before[k], v] for k, v in values.items() if before[k] != v}
        _event(s, rm.id, "roadmap.updated", changed=changed)
    return period_warnings(roadmap_view(engine, who, roadmap_id))


def delete_roadmap(engine: Engine, who: Credential, roadmap_id: int) -> None:
    with write(engine) as s:
        _lock(s, who, roadmap_id)
        # The database's ON DELETE CASCADE removes goals, activities, milestones, KPIs and measurements.
        s.execute(delete(Roadmap).where(Roadmap.id == roadmap_id))


# ---------------------------------------------------------------- tables


def _check_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    if len(rows) > ROWS_MAX:
        raise ValidationError("roadmap.too_many_rows", field="rows", max=ROWS_MAX, count=len(rows))


def _row_id(row: Mapping[str, Any]) -> int | None:
    value = row.get("id")
    if _blank(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError("input.not_integer", field="id") from None


def _collect(rows: Sequence[Mapping[str, Any]], check) -> list[Any]:  # noqa: ANN001
    """Run `check` on every row; raise all the row errors at once (1-based row numbers)."""
    out, errors = [], []
    for n, row in enumerate(rows, start=1):
        try:
            out.append(check(row))
        except EdpError as err:
            errors.append((n, err))
    if errors:
        raise RowErrors(errors)
    return out


def _goal_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": validate.text(row.get("title"), "title", max_len=TITLE_MAX, min_len=1, multiline=False),
        "description": validate.text(row.get("description"), "description", max_len=TEXT_MAX),
    }


def _goal_ref(goals: Mapping[str, Goal], ids: Mapping[int, Goal], value: Any, *, required: bool) -> Goal | None:
    if _blank(value):
        if required:
            raise ValidationError("input.required", field="goal")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value in ids:
            return ids[value]
        raise ValidationError("roadmap.goal_unknown", field="goal", name=str(value))
    key = str(value).strip().casefold()
    if key in goals:
        return goals[key]
    raise ValidationError("roadmap.goal_unknown", field="goal", name=str(value).strip())


def _activity_row(s: Session, rm: Roadmap, goals: Mapping[str, Goal], ids: Mapping[int, Goal], row: Mapping[str, Any]):  # noqa: ANN202
    goal = _goal_ref(goals, ids, row.get("goal", row.get("goal_id")), required=True)
    start, end = _date(row.get("start"), "start"), _date(row.get("end"), "end")
    if end < start:
        raise ValidationError("roadmap.end_before_start", field="end", start=start.isoformat())
    values = {
        "goal_id": goal.id,
        "title": validate.text(row.get("title"), "title", max_len=TITLE_MAX, min_len=1, multiline=False),
        "description": validate.text(row.get("description"), "description", max_len=TEXT_MAX),
        "start": start,
        "end": end,
        "status": _status(row.get("status"), "status", ACTIVITY_STATUSES, "planned"),
        "lead_actor_id": _actor(s, rm.process_id, row.get("lead_actor"), "lead_actor").id,
        "budget_sek": _optional_int(row.get("budget_sek"), "budget_sek", lo=0, hi=BUDGET_MAX),
        "funding_source": validate.text(
            row.get("funding_source"), "funding_source", max_len=SOURCE_MAX, multiline=False
        ),
    }
    return values, _partners(s, rm.process_id, row.get("partners"))


def _milestone_row(goals: Mapping[str, Goal], ids: Mapping[int, Goal], row: Mapping[str, Any]) -> dict[str, Any]:
    goal = _goal_ref(goals, ids, row.get("goal", row.get("goal_id")), required=False)
    return {
        "goal_id": goal.id if goal else None,
        "title": validate.text(row.get("title"), "title", max_len=TITLE_MAX, min_len=1, multiline=False),
        "date": _date(row.get("date"), "date"),
    }


def _kpi_row(
    s: Session, rm: Roadmap, goals: Mapping[str, Goal], ids: Mapping[int, Goal], row: Mapping[str, Any]
) -> dict:
    goal = _goal_ref(goals, ids, row.get("goal", row.get("goal_id")), required=False)
    baseline_date, target_date = (
        _date(row.get("baseline_date"), "baseline_date"),
        _date(row.get("target_date"), "target_date"),
    )
    if target_date <= baseline_date:
        raise ValidationError(
            "roadmap.target_not_after_baseline", field="target_date", baseline=baseline_date.isoformat()
        )
    return {
        "goal_id": goal.id if goal else None,
        "name": validate.text(row.get("name"), "name", max_len=TITLE_MAX, min_len=1, multiline=False),
        "unit": validate.text(row.get("unit"), "unit", max_len=UNIT_MAX, multiline=False),
        "kind": _status(row.get("kind"), "kind", KPI_KINDS, "output"),
        "baseline_value": _number(row.get("baseline_value"), "baseline_value"),
        "baseline_date": baseline_date,
        "target_value": _number(row.get("target_value"), "target_value"),
        "target_date": target_date,
        "lead_actor_id": _actor(s, rm.process_id, row.get("lead_actor"), "lead_actor").id,
        "source": validate.text(row.get("source"), "source", max_len=SOURCE_MAX, multiline=False),
        "eu_code": _eu_code(row.get("eu_code")),
    }


def _goal_maps(rm: Roadmap) -> tuple[dict[str, Goal], dict[int, Goal]]:
    return {g.title.casefold(): g for g in rm.goals}, {g.id: g for g in rm.goals}


def _known(items: Iterable[Any], rows: Sequence[Mapping[str, Any]], key: str) -> dict[int, Any]:
    """Existing rows by id; a row naming an id that is not in this roadmap is an error."""
    by_id = {item.id: item for item in items}
    bad = []
    for n, row in enumerate(rows, start=1):
        rid = _row_id(row)
        if rid is not None and rid not in by_id:
            bad.append((n, NotFound(key, id=rid)))
    if bad:
        raise RowErrors(bad)
    return by_id


def _sync(
    s: Session, existing: dict[int, Any], rows: Sequence[Mapping[str, Any]], values: list[Any], make
) -> tuple[list, int]:  # noqa: ANN001
    """Update rows with an id, insert those without, delete existing ones that are gone."""
    kept, objs, changed = set(), [], 0
    for row, vals in zip(rows, values, strict=True):
        rid = _row_id(row)
        obj = existing.get(rid) if rid is not None else None
        if obj is None:
            obj = make()
            s.add(obj)
            changed += 1
        else:
            kept.add(rid)
        if any(getattr(obj, k, None) != v for k, v in vals.items()):
            changed += rid is not None and rid in existing
            for k, v in vals.items():
                setattr(obj, k, v)
        objs.append(obj)
    for rid, obj in existing.items():
        if rid not in kept:
            s.delete(obj)
            changed += 1
    return objs, changed


def save_goals(
    engine: Engine,
    who: Credential,
    roadmap_id: int,
    rows: Sequence[Mapping[str, Any]],
    *,
    expected_version: int | None = None,
) -> None:
    """The goal table as a whole, in order. A goal that still has activities cannot be removed."""
    _check_rows(rows)
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id, expected_version)
        existing = _known(rm.goals, rows, "goal.not_found")
        values = _collect(rows, _goal_row)
        seen: dict[str, int] = {}
        dup = []
        for n, v in enumerate(values, start=1):
            key = v["title"].casefold()
            if key in seen:
                dup.append((n, Conflict("roadmap.goal_duplicate", field="title", title=v["title"])))
            seen[key] = n
        if dup:
            raise RowErrors(dup)
        kept = {_row_id(r) for r in rows}
        busy = [g for gid, g in existing.items() if gid not in kept and g.activities]
        if busy:
            raise Conflict(
                "roadmap.goal_has_activities", field="goal", title=busy[0].title, count=len(busy[0].activities)
            )
        for n, v in enumerate(values):
            v["position"] = n
        _, changed = _sync(s, existing, rows, values, lambda: Goal(roadmap_id=rm.id))
        _event(s, rm.id, "goals.saved", rows=len(rows), changed=changed)


def save_activities(
    engine: Engine,
    who: Credential,
    roadmap_id: int,
    rows: Sequence[Mapping[str, Any]],
    *,
    expected_version: int | None = None,
) -> list[Notice]:
    """The activity table as a whole; returns warnings for dates outside the roadmap's period."""
    _check_rows(rows)
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id, expected_version)
        goals, ids = _goal_maps(rm)
        existing = _known([a for g in rm.goals for a in g.activities], rows, "activity.not_found")
        checked = _collect(rows, lambda row: _activity_row(s, rm, goals, ids, row))
        values = [v for v, _ in checked]
        for n, v in enumerate(values):
            v["position"] = n
        before = {a.id: a.status for a in existing.values()}
        objs, changed = _sync(s, existing, rows, values, Activity)
        for obj, (_, partners) in zip(objs, checked, strict=True):
            if list(obj.partners) != partners:
                obj.partners = partners
        s.flush()
        statuses = {o.id: [before[o.id], o.status] for o in objs if o.id in before and before[o.id] != o.status}
        _event(s, rm.id, "activities.saved", rows=len(rows), changed=changed, statuses=statuses)
    return period_warnings(roadmap_view(engine, who, roadmap_id))


def save_milestones(
    engine: Engine,
    who: Credential,
    roadmap_id: int,
    rows: Sequence[Mapping[str, Any]],
    *,
    expected_version: int | None = None,
) -> list[Notice]:
    _check_rows(rows)
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id, expected_version)
        goals, ids = _goal_maps(rm)
        existing = _known(rm.milestones, rows, "milestone.not_found")
        values = _collect(rows, lambda row: _milestone_row(goals, ids, row))
        _, changed = _sync(s, existing, rows, values, lambda: Milestone(roadmap_id=rm.id))
        _event(s, rm.id, "milestones.saved", rows=len(rows), changed=changed)
    return period_warnings(roadmap_view(engine, who, roadmap_id))


def save_kpis(
    engine: Engine,
    who: Credential,
    roadmap_id: int,
    rows: Sequence[Mapping[str, Any]],
    *,
    expected_version: int | None = None,
) -> None:
    """The KPI table as a whole. Removing a KPI removes its measurements too."""
    _check_rows(rows)
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id, expected_version)
        goals, ids = _goal_maps(rm)
        existing = _known(rm.kpis, rows, "kpi.not_found")
        values = _collect(rows, lambda row: _kpi_row(s, rm, goals, ids, row))
        for n, v in enumerate(values):
            v["position"] = n
        _, changed = _sync(s, existing, rows, values, lambda: Kpi(roadmap_id=rm.id))
        _event(s, rm.id, "kpis.saved", rows=len(rows), changed=changed)


def _measurement_values(kpi: Kpi, data: Mapping[str, Any]) -> dict[str, Any]:
    date = _date(data.get("date"), "date")
    if date < kpi.baseline_date:
        raise ValidationError(
            "roadmap.measurement_before_baseline", field="date", baseline=kpi.baseline_date.isoformat()
        )
    if date > dt.date.today() + dt.timedelta(days=1):
        raise ValidationError("roadmap.measurement_in_future", field="date")
    return {
        "date": date,
        "value": _number(data.get("value"), "value"),
        "note": validate.text(data.get("note"), "note", max_len=NOTE_MAX),
    }


def _add_measurement(s: Session, who: Credential, kpi: Kpi, data: Mapping[str, Any], actor_id: int | None) -> int:
    _lock(s, who, kpi.roadmap_id)
    values = _measurement_values(kpi, data)
    m = KpiMeasurement(kpi_id=kpi.id, actor_id=actor_id, **values)
    s.add(m)
    s.flush()
    _event(s, kpi.roadmap_id, "measurement.added", actor_id, kpi=kpi.name, **values)
    return m.id


def add_measurement(engine: Engine, who: Credential, kpi_id: int, data: Mapping[str, Any]) -> int:
    """A KPI measurement (date, value, note), recorded by the process leader."""
    with write(engine) as s:
        kpi = s.get(Kpi, kpi_id) if isinstance(kpi_id, int) else None
        if kpi is None:
            raise NotFound("kpi.not_found", id=kpi_id)
        return _add_measurement(s, who, kpi, data, None)


def delete_measurement(engine: Engine, who: Credential, measurement_id: int) -> None:
    with write(engine) as s:
        m = s.get(KpiMeasurement, measurement_id) if isinstance(measurement_id, int) else None
        if m is None:
            raise NotFound("measurement.not_found", id=measurement_id)
        kpi = s.get(Kpi, m.kpi_id)
        _lock(s, who, kpi.roadmap_id)
        _event(s, kpi.roadmap_id, "measurement.deleted", kpi=kpi.name, date=m.date, value=m.value)
        s.delete(m)


def period_warnings(rm: RoadmapView) -> list[Notice]:
    """Dates outside the roadmap's period: allowed, but worth a look."""
    out = []
    for a in rm.activities:
        if a.start < rm.period_start or a.end > rm.period_end:
            out.append(Notice("roadmap.warn_activity_outside", {"title": a.title}))
    for m in rm.milestones:
        if not rm.period_start <= m.date <= rm.period_end:
            out.append(Notice("roadmap.warn_milestone_outside", {"title": m.title}))
    return out


# ---------------------------------------------------------------- follow-up


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    kind: str
    actor: str | None  # a lead actor's name when made through their link; None = the process leader
    detail: dict[str, Any]


def changes_since_follow_up(engine: Engine, who: Credential, roadmap_id: int) -> list[Change]:
    """What changed since the roadmap was last marked as followed up (all changes if never)."""
    with read(engine) as s:
        rm = s.get(Roadmap, roadmap_id) if isinstance(roadmap_id, int) else None
        if rm is None:
            raise NotFound("roadmap.not_found", id=roadmap_id)
        require_read(acting(s, who), rm.process_id)
        q = select(RoadmapEvent).where(RoadmapEvent.roadmap_id == roadmap_id)
        if rm.followed_up_at is not None:
            q = q.where(RoadmapEvent.at > rm.followed_up_at)
        names = {a.id: a.name for a in s.scalars(select(Actor).where(Actor.process_id == rm.process_id))}
        return [
            Change(e.at, e.kind, names.get(e.actor_id), dict(e.detail))
            for e in s.scalars(q.order_by(RoadmapEvent.at.desc(), RoadmapEvent.id.desc()))
            if e.kind != "followed_up"
        ]


def mark_followed_up(engine: Engine, who: Credential, roadmap_id: int) -> None:
    with write(engine) as s:
        rm = _lock(s, who, roadmap_id)
        rm.followed_up_at = utcnow()
        _event(s, rm.id, "followed_up")


# ---------------------------------------------------------------- lead actors' update links


def issue_links(
    engine: Engine, who: Credential, process_id: int, actor_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """New personal update links (tokens) for these actors, or for every lead actor of the process's
    roadmaps. A new link replaces the actor's old one. Only the token's hash is stored, so the
    links are shown once: keep the returned tokens."""
    with write(engine) as s:
        _process(s, who, process_id)
        if actor_ids is None:
            lead = select(Activity.lead_actor_id).join(Goal).join(Roadmap).where(Roadmap.process_id == process_id)
            kpi_lead = select(Kpi.lead_actor_id).join(Roadmap).where(Roadmap.process_id == process_id)
            actor_ids = set(s.scalars(lead)) | set(s.scalars(kpi_lead))
        out: dict[int, str] = {}
        for aid in sorted(set(actor_ids)):
            actor = _actor(s, process_id, aid, "lead_actor")
            token = new_token()
            link = s.scalar(select(ActorLink).where(ActorLink.process_id == process_id, ActorLink.actor_id == actor.id))
            if link is None:
                s.add(ActorLink(process_id=process_id, actor_id=actor.id, token_hash=token_hash(token)))
            else:
                link.token_hash, link.created_at = token_hash(token), utcnow()
            out[actor.id] = token
        return out


def linked_actors(engine: Engine, who: Credential, process_id: int) -> dict[int, dt.datetime]:
    """Actors that have an update link, with when it was made."""
    with read(engine) as s:
        _process(s, who, process_id, lead=False)
        return dict(
            s.execute(select(ActorLink.actor_id, ActorLink.created_at).where(ActorLink.process_id == process_id)).all()
        )


def _link(s: Session, token: str) -> ActorLink:
    if not isinstance(token, str) or not token:
        raise PermissionDenied("link.invalid")
    link = s.scalar(select(ActorLink).where(ActorLink.token_hash == token_hash(token)))
    if link is None:
        raise PermissionDenied("link.invalid")
    return link


@dataclass(frozen=True)
class ActorWork:
    """What a lead actor's update page shows: only their own activities and KPIs."""

    actor_id: int
    actor_name: str
    process_title: str
    activities: tuple[tuple[str, str, ActivityView], ...]  # (roadmap title, goal title, activity)
    kpis: tuple[tuple[str, KpiView], ...]  # (roadmap title, KPI)


def actor_work(engine: Engine, token: str) -> ActorWork:
    with read(engine) as s:
        link = _link(s, token)
        actor = s.get(Actor, link.actor_id)
        proc = s.get(Process, link.process_id)
        rm_ids = s.scalars(select(Roadmap.id).where(Roadmap.process_id == link.process_id).order_by(Roadmap.id)).all()
    # the link is the lead actor's own right to read their part of these roadmaps
    views: list[RoadmapView] = [roadmap_view(engine, SYSTEM, rid) for rid in rm_ids]
    acts = tuple(
        (rm.title, g.title, a) for rm in views for g in rm.goals for a in g.activities if a.lead.id == actor.id
    )
    kpis = tuple((rm.title, k) for rm in views for k in rm.kpis if k.lead.id == actor.id)
    return ActorWork(actor.id, actor.name, proc.title, acts, kpis)


def actor_set_status(engine: Engine, token: str, activity_id: int, status: str, comment: str = "") -> None:
    """A lead actor sets the status of one of their own activities, with an optional comment."""
    with write(engine) as s:
        link = _link(s, token)
        act = s.get(Activity, activity_id) if isinstance(activity_id, int) else None
        if act is None or act.lead_actor_id != link.actor_id:
            raise PermissionDenied("link.not_yours")
        goal = s.get(Goal, act.goal_id)
        _lock(s, SYSTEM, goal.roadmap_id)  # the link is the lead actor's own right to this activity
        new = validate.choice(status, "status", ACTIVITY_STATUSES)
        note = validate.text(comment, "comment", max_len=NOTE_MAX)
        _event(
            s,
            goal.roadmap_id,
            "activity.status",
            link.actor_id,
            activity=act.title,
            before=act.status,
            after=new,
            comment=note,
        )
        act.status = new


def actor_add_measurement(engine: Engine, token: str, kpi_id: int, data: Mapping[str, Any]) -> int:
    """A lead actor records a measurement of one of their own KPIs."""
    with write(engine) as s:
        link = _link(s, token)
        kpi = s.get(Kpi, kpi_id) if isinstance(kpi_id, int) else None
        if kpi is None or kpi.lead_actor_id != link.actor_id:
            raise PermissionDenied("link.not_yours")
        # the link is the lead actor's own right to this KPI
        return _add_measurement(s, SYSTEM, kpi, data, link.actor_id)


# ---------------------------------------------------------------- import (the XLSX layout of edp.roadmap.io)

Sheets = Mapping[str, Sequence[tuple[int, Mapping[str, Any]]]]
# In a file, actors, goals and KPIs are named, never numbered: a name a spreadsheet stored as a
# number ("1234") is still a name, not an id.
NAME_COLUMNS = ("owner", "lead_actor", "partners", "goal", "kpi", "title", "name", "unit", "source", "funding_source")


def _as_named(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        if k in NAME_COLUMNS and isinstance(v, int | float) and not isinstance(v, bool)
        else v
        for k, v in row.items()
    }


_Refusals = list[tuple[str, int, EdpError]]  # (sheet, row, error), every one an import finds


def _attempt(errors: _Refusals, sheet: str, line: int, fn):  # noqa: ANN001, ANN201
    """fn()'s value, or None with its error added to `errors`."""
    try:
        return fn()
    except EdpError as err:
        errors.append((sheet, line, err))
        return None


def _import_head(s: Session, process_id: int, sheets: Sheets, priority_id: int | None, errors: _Refusals) -> Roadmap:
    """The roadmap from the one row of the "roadmap" sheet (refused at once unless there is exactly one),
    added and flushed. When that row is refused, a stand-in, so that every other sheet's rows are checked too."""
    head = list(sheets.get("roadmap", ()))
    if len(head) != 1:
        raise SheetErrors(
            [
                (
                    "roadmap",
                    head[1][0] if len(head) > 1 else 1,
                    ValidationError("roadmap_import.one_roadmap", field="title"),
                )
            ]
        )
    line, data = head[0]
    values = _attempt(errors, "roadmap", line, lambda: _roadmap_values(s, process_id, data))
    if values is None:  # go on with a stand-in, so that every other sheet's rows are checked too
        values = {"title": "?", "period_start": dt.date(2000, 1, 1), "period_end": dt.date(2100, 12, 31)}
    if priority_id is not None:
        _priority_of_process(s, priority_id, process_id)
    rm = Roadmap(process_id=process_id, priority_id=priority_id, **values)
    s.add(rm)
    s.flush()
    return rm


def _import_goals(s: Session, rm: Roadmap, sheets: Sheets, errors: _Refusals) -> dict[str, Goal]:
    """The goals by casefolded title, flushed; a title given twice is refused."""
    goals: dict[str, Goal] = {}
    for line, row in sheets.get("goals", ()):
        v = _attempt(errors, "goals", line, lambda row=row: _goal_row(row))
        if v is None:
            continue
        if v["title"].casefold() in goals:
            errors.append(("goals", line, Conflict("roadmap.goal_duplicate", field="title", title=v["title"])))
            continue
        g = Goal(roadmap_id=rm.id, position=len(goals), **v)
        s.add(g)
        goals[v["title"].casefold()] = g
    s.flush()
    return goals


def _import_kpis(
    s: Session, rm: Roadmap, goals: dict[str, Goal], ids: dict[int, Goal], sheets: Sheets, errors: _Refusals
) -> tuple[dict[str, Kpi], set[str]]:
    """The KPIs by casefolded name, and the casefolded names of the refused ones."""
    kpis: dict[str, Kpi] = {}
    refused: set[str] = set()
    for n, (line, row) in enumerate(sheets.get("kpis", ())):
        v = _attempt(errors, "kpis", line, lambda row=row: _kpi_row(s, rm, goals, ids, row))
        if v is not None:
            k = Kpi(roadmap_id=rm.id, position=n, **v)
            s.add(k)
            kpis[v["name"].casefold()] = k
        elif not _blank(row.get("name")):
            refused.add(str(row["name"]).strip().casefold())
    return kpis, refused


def _import_measurements(kpis: dict[str, Kpi], refused: set[str], sheets: Sheets, errors: _Refusals) -> None:
    """Each measurement added to its KPI, named by name; one of a refused KPI is passed over (that KPI's own
    row is reported already)."""
    for line, row in sheets.get("measurements", ()):
        name = row.get("kpi")
        key = str(name).strip().casefold() if not _blank(name) else ""
        kpi = kpis.get(key)
        if kpi is None and key in refused:
            continue  # its KPI's own row is reported already
        if kpi is None:
            errors.append(
                ("measurements", line, ValidationError("roadmap.kpi_unknown", field="kpi", name=str(name or "")))
            )
            continue
        v = _attempt(errors, "measurements", line, lambda row=row, kpi=kpi: _measurement_values(kpi, row))
        if v is not None:
            kpi.measurements.append(KpiMeasurement(**v))


def import_roadmap(
    engine: Engine, who: Credential, process_id: int, sheets: Sheets, *, priority_id: int | None = None
) -> int:
    """A new roadmap from parsed sheets (edp.roadmap.io.parse_xlsx), optionally linked to a priority.
    Every row of every sheet is checked; any error anywhere raises SheetErrors naming sheet and
    row, and nothing is written."""
    errors: _Refusals = []
    sheets = {name: [(line, _as_named(row)) for line, row in rows] for name, rows in sheets.items()}
    with write(engine) as s:
        _process(s, who, process_id)
        rm = _import_head(s, process_id, sheets, priority_id, errors)
        goals = _import_goals(s, rm, sheets, errors)
        ids = {g.id: g for g in goals.values()}
        for n, (line, row) in enumerate(sheets.get("activities", ())):
            checked = _attempt(errors, "activities", line, lambda row=row: _activity_row(s, rm, goals, ids, row))
            if checked is not None:
                v, partners = checked
                s.add(Activity(position=n, partners=partners, **v))
        for line, row in sheets.get("milestones", ()):
            v = _attempt(errors, "milestones", line, lambda row=row: _milestone_row(goals, ids, row))
            if v is not None:
                s.add(Milestone(roadmap_id=rm.id, **v))
        kpis, refused = _import_kpis(s, rm, goals, ids, sheets, errors)
        _import_measurements(kpis, refused, sheets, errors)
        if errors:
            raise SheetErrors(errors)  # the transaction rolls back: nothing is imported
        _event(s, rm.id, "roadmap.imported", goals=len(goals), kpis=len(kpis))
        return rm.id
