"""The ORM: processes, actors, workshops, participants, rounds, themes, ballots, priorities, audit."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

HELIX_GROUPS = ("business", "academia", "public", "civil")
PHASES = ("draft", "proposing", "reviewing", "voting", "closed")
THEME_STATUSES = ("active", "merged", "withdrawn")
ROLES = ("facilitator", "participant", "system", "organiser")
# An organiser account's roles: per process (leader, observer) or per workshop (facilitator).
# An instance admin (users.is_admin) may do everything.
ORG_ROLES = ("process_leader", "observer", "facilitator")
SESSION_KINDS = ("password", "oidc")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def table(model: type[Base]) -> Table:
    """A mapped class's Table, for prebuilt Core statements (the ORM types __table__ as any FromClause)."""
    return cast(Table, model.__table__)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


process_strength_areas = Table(
    "process_strength_areas",
    Base.metadata,
    Column("process_id", ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True),
    Column("strength_area_id", ForeignKey("strength_areas.id", ondelete="RESTRICT"), primary_key=True),
)


class StrengthArea(Base):
    __tablename__ = "strength_areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_en


class Process(Base):
    __tablename__ = "processes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    financier: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    strength_areas: Mapped[list[StrengthArea]] = relationship(secondary=process_strength_areas)
    actors: Mapped[list[Actor]] = relationship(back_populates="process", order_by="Actor.name")
    workshops: Mapped[list[Workshop]] = relationship(back_populates="process", order_by="Workshop.id")

    __table_args__ = (
        CheckConstraint("period_start IS NULL OR period_end IS NULL OR period_start <= period_end", name="period"),
    )


class Actor(Base):
    __tablename__ = "actors"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    helix: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str | None] = mapped_column(String(100))

    process: Mapped[Process] = relationship(back_populates="actors")

    __table_args__ = (
        UniqueConstraint("process_id", "name", name="uq_actors_process_name"),
        CheckConstraint(_in("helix", HELIX_GROUPS), name="helix"),
    )


class Workshop(Base):
    __tablename__ = "workshops"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200), default="")
    join_code: Mapped[str] = mapped_column(String(12))
    passcode_hash: Mapped[str] = mapped_column(String(300))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether a participant may add an organisation that is not on the actor list.
    allow_new_actors: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Whether people not on the registration list may join by code.
    allow_unregistered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Whether the public home page shows the join code while the workshop is open (off: the code
    # is for the room, on its projector, not for anyone who finds the site).
    show_join_code: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The projector's address (?projector=KEY): not the id, which anyone could count through to read
    # every open workshop's join code off its projector. Shown in the console; a new one can be made.
    projector_key: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(16))
    # Bumped by every write, so live views can poll one integer.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    process: Mapped[Process] = relationship(back_populates="workshops")
    rounds: Mapped[list[Round]] = relationship(back_populates="workshop", order_by="Round.seq")

    __table_args__ = (
        # A join code is unique among open workshops; closed ones may reuse it.
        Index(
            "uq_workshops_open_join_code",
            "join_code",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
    )


class FacilitatorSession(Base):
    """A console session for one workshop; only the token's SHA-256 is stored. Opened with the
    workshop's passcode, or by a signed-in organiser whose role allows it (user_session_id): such
    a session ends with the organiser's session and holds only while the role does."""

    __tablename__ = "facilitator_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    user_session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True)


class Region(Base):
    """The region this instance serves and its smart specialisation (S3) strategy: one row."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    strategy_title: Mapped[str] = mapped_column(String(300), default="")
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("id = 1", name="single"),
        CheckConstraint("period_start IS NULL OR period_end IS NULL OR period_start <= period_end", name="period"),
    )


class User(Base):
    """An organiser's account: a local password (Argon2id), an OpenID Connect identity, or both."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # NFKC-normalised and casefolded, so "Anna" and "anna" are one account.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Sign-ins older than this no longer count ("sign out everywhere", a changed password).
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)


class UserSession(Base):
    """An organiser's sign-in; only the token's SHA-256 is stored. It expires when idle and at the latest
    after a fixed time (edp.access.SESSION_IDLE, SESSION_MAX)."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when the organiser signs out. An OIDC session's row is kept until it would have expired
    # anyway: its token is Streamlit's identity cookie, which a copy could otherwise bring back.
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint(_in("kind", SESSION_KINDS), name="kind"),)


class RoleGrant(Base):
    """One role of one organiser: process leader or observer of a process, facilitator of a workshop."""

    __tablename__ = "role_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("role", ORG_ROLES), name="role"),
        CheckConstraint(
            "(role = 'facilitator' AND workshop_id IS NOT NULL AND process_id IS NULL)"
            " OR (role <> 'facilitator' AND process_id IS NOT NULL AND workshop_id IS NULL)",
            name="scope",
        ),
        Index(
            "uq_role_grants_process",
            "user_id",
            "role",
            "process_id",
            unique=True,
            sqlite_where=text("process_id IS NOT NULL"),
            postgresql_where=text("process_id IS NOT NULL"),
        ),
        Index(
            "uq_role_grants_workshop",
            "user_id",
            "workshop_id",
            unique=True,
            sqlite_where=text("workshop_id IS NOT NULL"),
            postgresql_where=text("workshop_id IS NOT NULL"),
        ),
    )


class SetupCode(Base):
    """The one-time code that lets the first organiser account be made in the browser on an empty
    instance (printed in the server's log at start); only its hash is stored."""

    __tablename__ = "setup_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single"),)


class Participant(Base):
    """A person in a workshop. Their personal token (the `?p=` link, the QR card) is stored only as
    its SHA-256, so nobody who reads the database, a backup or a page can act as them."""

    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    # A snapshot: later changes to the actor do not rewrite past votes' helix.
    helix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a pre-registered participant who has not yet opened their personal link.
    joined_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    registered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Enrolled by the facilitator to enter their paper ballot; the only participants of an
    # anonymous workshop whose ballot the facilitator may enter.
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # The raw token, not a column: set only on the object returned by the operation that made it
    # (join, register_paper_participant, import_registrations, reissue_card), which hands it to
    # its caller once. Loaded participants have None. (__allow_unmapped__: the ORM leaves it alone.)
    __allow_unmapped__ = True
    token: str | None = None

    actor: Mapped[Actor | None] = relationship()

    __table_args__ = (CheckConstraint(_in("helix", HELIX_GROUPS), name="helix"),)


class Round(Base):
    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text, default="")
    # A method registered in edp.voting; the engine checks it, so a new method needs no migration.
    method: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(20), default="draft")
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Results visible while voting; off by default to avoid herding.
    live_results: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dots_per_participant: Mapped[int | None] = mapped_column(Integer)
    max_dots_per_theme: Mapped[int | None] = mapped_column(Integer)
    rank_count: Mapped[int | None] = mapped_column(Integer)
    # A method's own settings beyond the columns above (edp.voting: its configure() writes them).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    origin_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The most themes one participant may propose in this round, set when the round is made
    # (edp.workshop.RoundSpec). Rounds made before it was configurable keep the old fixed cap, 20.
    proposals_per_participant: Mapped[int] = mapped_column(Integer, server_default="20")

    workshop: Mapped[Workshop] = relationship(back_populates="rounds")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("workshop_id", "seq", name="uq_rounds_workshop_seq"),
        CheckConstraint(_in("phase", PHASES), name="phase"),
        CheckConstraint("proposals_per_participant >= 1", name="proposals_per_participant"),
    )


class Criterion(Base):
    __tablename__ = "criteria"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name_sv: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)

    round: Mapped[Round] = relationship(back_populates="criteria")

    __table_args__ = (
        CheckConstraint("scale_min < scale_max", name="scale"),
        CheckConstraint("weight > 0", name="weight"),
    )

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_en


class Theme(Base):
    __tablename__ = "themes"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    origin_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    strength_area_id: Mapped[int | None] = mapped_column(ForeignKey("strength_areas.id", ondelete="SET NULL"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    partners: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    strength_area: Mapped[StrengthArea | None] = relationship()
    actor: Mapped[Actor | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", THEME_STATUSES), name="status"),
        CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_into"),
    )


class RoundTheme(Base):
    """Which themes are on a round's ballot: proposed in it, or carried into it."""

    __tablename__ = "round_themes"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Ballot(Base):
    __tablename__ = "ballots"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    # Random, so exports can tell ballots apart without naming anyone.
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    times_replaced: Mapped[int] = mapped_column(Integer, default=0)
    # The rate limit on replacing it (edp.voting.ballots): the earliest moment, in Unix seconds, at
    # which the next replacement is accepted. Each replacement moves it on by REPLACE_INTERVAL_S.
    replaceable_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")

    entries: Mapped[list[BallotEntry]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("round_id", "participant_id", name="uq_ballots_round_participant"),)


class BallotEntry(Base):
    __tablename__ = "ballot_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    # The theme as voted; merges are resolved by the tally, so unmerging restores everything.
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)

    ballot: Mapped[Ballot] = relationship(back_populates="entries")


class Priority(Base):
    __tablename__ = "priorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="RESTRICT"))
    rank: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(Text, default="")
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    theme: Mapped[Theme] = relationship()

    __table_args__ = (
        UniqueConstraint("workshop_id", "rank", name="uq_priorities_workshop_rank"),
        UniqueConstraint("workshop_id", "theme_id", name="uq_priorities_workshop_theme"),
        CheckConstraint("rank >= 1", name="rank"),
    )


ATTEMPT_KINDS = ("wrong_code", "joined", "wrong_passcode", "wrong_password", "wrong_setup_code")


class Attempt(Base):
    """A counted attempt for the throttles (edp/throttle.py): a wrong join code or a join, a wrong
    passcode, password or setup code. Kept only as long as a throttle looks back: when, by whom as
    hashes of the browser session and of the network address, and for failed sign-ins at what
    (`scope`: a workshop's passcode, an account). The next attempt deletes rows no window counts."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(100))
    session_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    __table_args__ = (
        Index("ix_attempts_session", "session_key", "kind", "at"),
        Index("ix_attempts_address", "address_key", "kind", "at"),
        Index("ix_attempts_scope", "scope", "kind", "at"),
        CheckConstraint(_in("kind", ATTEMPT_KINDS), name="kind"),
    )


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)


# ---------------------------------------------------------------- roadmaps (färdplaner)

ROADMAP_STATUSES = ("draft", "active", "completed", "archived")
ACTIVITY_STATUSES = ("planned", "ongoing", "done", "delayed", "cancelled")
KPI_KINDS = ("output", "result")

activity_partners = Table(
    "activity_partners",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("actor_id", ForeignKey("actors.id", ondelete="RESTRICT"), primary_key=True),
)


class Roadmap(Base):
    """A priority's plan: goals with activities on a timeline, milestones and KPIs."""

    __tablename__ = "roadmaps"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priorities.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    vision: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    owner_actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    goals: Mapped[list[Goal]] = relationship(
        back_populates="roadmap", order_by="(Goal.position, Goal.id)", cascade="all, delete-orphan"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="roadmap", order_by="(Milestone.date, Milestone.id)", cascade="all, delete-orphan"
    )
    kpis: Mapped[list[Kpi]] = relationship(
        back_populates="roadmap", order_by="(Kpi.position, Kpi.id)", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(_in("status", ROADMAP_STATUSES), name="status"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("version >= 1", name="version"),
    )


class Goal(Base):
    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    roadmap: Mapped[Roadmap] = relationship(back_populates="goals")
    activities: Mapped[list[Activity]] = relationship(
        back_populates="goal", order_by="(Activity.position, Activity.start, Activity.id)", cascade="all, delete-orphan"
    )


class Activity(Base):
    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    lead_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="RESTRICT"), index=True)
    budget_sek: Mapped[int | None] = mapped_column(Integer)
    funding_source: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    goal: Mapped[Goal] = relationship(back_populates="activities")
    lead_actor: Mapped[Actor] = relationship(foreign_keys=[lead_actor_id])
    partners: Mapped[list[Actor]] = relationship(secondary=activity_partners, order_by="Actor.name")

    __table_args__ = (
        CheckConstraint(_in("status", ACTIVITY_STATUSES), name="status"),
        CheckConstraint('"end" >= start', name="dates"),
        CheckConstraint("budget_sek IS NULL OR budget_sek >= 0", name="budget"),
    )


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date)

    roadmap: Mapped[Roadmap] = relationship(back_populates="milestones")


class Kpi(Base):
    __tablename__ = "kpis"
    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(10), default="output")
    baseline_value: Mapped[float] = mapped_column(Float)
    baseline_date: Mapped[dt.date] = mapped_column(Date)
    target_value: Mapped[float] = mapped_column(Float)
    target_date: Mapped[dt.date] = mapped_column(Date)
    lead_actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    eu_code: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    roadmap: Mapped[Roadmap] = relationship(back_populates="kpis")
    lead_actor: Mapped[Actor] = relationship()
    measurements: Mapped[list[KpiMeasurement]] = relationship(
        back_populates="kpi", order_by="(KpiMeasurement.date, KpiMeasurement.id)", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(_in("kind", KPI_KINDS), name="kind"),
        CheckConstraint("target_date > baseline_date", name="dates"),
    )


class KpiMeasurement(Base):
    __tablename__ = "kpi_measurements"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    # Who recorded it: the process leader, or the lead actor through their update link.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    kpi: Mapped[Kpi] = relationship(back_populates="measurements")


class ActorLink(Base):
    """A lead actor's personal update link for one process: only the token's hash is stored."""

    __tablename__ = "actor_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("process_id", "actor_id", name="uq_actor_links_process_actor"),)


class RoadmapEvent(Base):
    """The roadmap audit log: every change, by whom (leader or a lead actor's link), with before/after."""

    __tablename__ = "roadmap_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
