"""SQLAlchemy 2.0 table classes: the one description of the database that code reads.

The schema itself is changed only by the Alembic migrations in ``storage/migrations``;
a test compares the migrated database with these classes, so the two cannot drift apart.
Every column holds plain JSON-able values (str, int, float, bool, aware UTC datetimes,
JSON documents), so the API's pydantic schemas can be built from the rows directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from app.engine.vocabulary import RunStatus
from storage.errors import ImmutableVersion
from storage.sqltypes import UTCDateTime, json_column, new_id, utcnow

# Named constraints let later migrations alter tables on SQLite (batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ShareMode(StrEnum):
    """What a share link lets its holder do with the graph."""

    VIEW = "view"
    FORK = "fork"
    DEMO = "demo"


def _sql_in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: json_column(),
    }


class User(Base):
    """Someone who signs in when the server runs with ``--auth`` (``genaisys users add``)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A user's API token, kept only as its SHA-256: the token itself is shown once, at
    creation, and never stored. ``prefix`` (its first characters) lets a list tell tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Graph(Base):
    """A named graph; its content lives in immutable ``GraphVersion`` rows.

    ``latest_version`` is the compare-and-set guard of concurrent saves: a save moves it
    from N to N+1 only if it still reads N. ``deleted_at`` marks a soft delete.
    ``owner_id`` is the user who made it (None on a server without ``--auth``).
    """

    __tablename__ = "graphs"
    __table_args__ = (Index("ix_graphs_updated_at", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    owner_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class GraphVersion(Base):
    """One saved state of a graph. Never updated: every save and restore adds a row."""

    __tablename__ = "graph_versions"
    __table_args__ = (UniqueConstraint("graph_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    graph_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("graphs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(GraphVersion, "before_update")
def _refuse_version_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    raise ImmutableVersion(
        f"graph version {target.number} of graph {target.graph_id!r} is immutable; "
        "save a new version instead"
    )


class Run(Base):
    """One execution of a graph document, kept after its graph is deleted.

    ``document`` is the graph as it ran, so a run stays explainable (and replayable) even
    when it came from an unsaved document or its graph was later edited or deleted.
    """

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_sql_in("status", RunStatus), name="ck_runs_status"),
        Index("ix_runs_graph_id_created_at", "graph_id", "created_at"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_claimed_by", "claimed_by"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    graph_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("graphs.id", ondelete="SET NULL")
    )
    graph_version_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("graph_versions.id", ondelete="SET NULL")
    )
    graph_version_number: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    """Loaded when read, not with the row: a 2,000-node document took longer to decode than
    the run's status updates that load the row."""
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    owner_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    """The replica (``GENAISYS_REPLICA_ID``) that holds the run while it is queued or running."""
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    """When the holder's claim lapses unless its heartbeat renews it (the database's clock);
    past it, any replica settles the run ``interrupted`` (``storage.leases``)."""
    cancel_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Set by a cancel that reached a replica other than the holder; the holder's heartbeat stops the run."""

    node_results: Mapped[list[NodeResult]] = relationship(
        order_by="NodeResult.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def replay(self) -> dict[str, Any] | None:
        """For a replay: the run it replays and, once finished, each node's verdict."""
        replay = (self.provenance or {}).get("replay")
        return replay if isinstance(replay, dict) else None

    @property
    def replay_of(self) -> str | None:
        """The run this one replays, or None."""
        return None if self.replay is None else self.replay.get("of")


class NodeResult(Base):
    """What one node did in one run.

    ``outputs`` maps port names to small values inline, or to artifact references
    ``{"artifact": sha256, "mime": ..., "size": ...}`` for images, audio, arrays and files.
    """

    __tablename__ = "node_results"
    __table_args__ = (UniqueConstraint("run_id", "node_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    cache_key: Mapped[str | None] = mapped_column(String(128), default=None)
    cache_hit: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RunEventPage(Base):
    """A run's events ``first_seq`` .. ``last_seq``, in order, as one JSON list: the events one
    batch wrote (the run queue writes a batch at most every quarter second). A row per event
    cost more to write than a 2,000-node run's work; a record is read whole, a page at a time.
    Each event is kept in the executor's wire shape, less its ``run_id`` (the page's)."""

    __tablename__ = "run_events"
    __table_args__ = (UniqueConstraint("run_id", "first_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("runs.id", ondelete="CASCADE"))
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    events: Mapped[list[dict[str, Any]]] = mapped_column(json_column())


class Evaluation(Base):
    """One evaluation of a saved graph version over a dataset of cases (``genaisys eval``,
    ``POST /api/graphs/{id}/evals``): the checks, each case's result, and a summary per check.

    ``status`` is a run's (``succeeded`` once every case ran, whatever they found); a case's
    pass or fail is in ``results``. ``done_count`` moves as cases finish."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint(_sql_in("status", RunStatus), name="ck_evaluations_status"),
        Index("ix_evaluations_graph_id_version", "graph_id", "version"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    graph_id: Mapped[str] = mapped_column(String(32), ForeignKey("graphs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    cases_count: Mapped[int] = mapped_column(Integer)
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    passed_count: Mapped[int] = mapped_column(Integer, default=0)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(json_column())
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    results: Mapped[list[dict[str, Any]]] = mapped_column(json_column(), deferred=True)
    """Loaded when read, not with the row: a long dataset's results outweigh its status."""
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    owner_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    """The replica that runs it, as for a run (``Run.claimed_by``)."""
    lease_until: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One stored event of a run, numbered by ``seq``, so a past run can be replayed."""

    run_id: str
    seq: int
    type: str
    ts: datetime
    node_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The event in the executor's wire shape, so replayed and live events look alike."""
        out: dict[str, Any] = {
            "type": self.type,
            "run_id": self.run_id,
            "seq": self.seq,
            "ts": self.ts.timestamp(),
        }
        if self.node_id is not None:
            out["node_id"] = self.node_id
        if self.data:
            out["data"] = self.data
        return out


class Artifact(Base):
    """A content-addressed file in the ``ArtifactStore``; the row is written after the file."""

    __tablename__ = "artifacts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Share(Base):
    """An unguessable link to a graph. ``version`` None follows the latest version."""

    __tablename__ = "shares"
    __table_args__ = (CheckConstraint(_sql_in("mode", ShareMode), name="ck_shares_mode"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    graph_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("graphs.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(8))
    version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    def is_active(self, now: datetime | None = None) -> bool:
        """Usable now: neither revoked nor expired."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or utcnow())

    @property
    def active(self) -> bool:
        """Usable now (`is_active`)."""
        return self.is_active()


class CacheEntry(Base):
    """One node result kept by the persistent result cache, under its cache key. ``outputs``
    is ``app.engine.codec``'s exact encoding; its large binary parts are files in the cache's
    folder, named by sha256 in ``blobs``. ``used_at`` orders eviction (least recently used
    first) when the entries' ``nbytes`` pass the disk bound."""

    __tablename__ = "cache_entries"
    __table_args__ = (Index("ix_cache_entries_used_at", "used_at"),)

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    outputs: Mapped[dict[str, Any]] = mapped_column(json_column())
    origin: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    blobs: Mapped[list[str]] = mapped_column(json_column(), default=list)
    nbytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class CacheScope(Base):
    """What each node of one graph (a scope: a graph id, a file, with ``--auth`` a user's)
    last ran with — its cache signature — so that after a restart a node that runs again says
    why ("params changed") instead of "new node". ``cleared_at``: when the cache was last
    cleared; a node whose signature is older misses because of that."""

    __tablename__ = "cache_scopes"

    scope: Mapped[str] = mapped_column(String(500), primary_key=True)
    signatures: Mapped[dict[str, Any]] = mapped_column(json_column())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)

