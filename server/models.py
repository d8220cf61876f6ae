"""Domain types shared by the store, the service, the tools and the resources.

Pydantic models double as the MCP tools' structured output, so what a client
sees is exactly what the service returned.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Kind(str, Enum):
    fact = "fact"
    preference = "preference"
    event = "event"
    outcome = "outcome"
    constraint = "constraint"
    goal = "goal"


class Tier(str, Enum):
    working = "working"
    episodic = "episodic"
    semantic = "semantic"
    archival = "archival"


class Status(str, Enum):
    active = "active"
    superseded = "superseded"
    forgotten = "forgotten"
    archived = "archived"


class Source(str, Enum):
    explicit = "explicit"
    inferred = "inferred"
    consolidated = "consolidated"
    imported = "imported"


Action = Literal["add", "noop", "update", "supersede", "skip", "block", "redact"]
Signal = Literal["helpful", "irrelevant", "wrong"]


class Memory(BaseModel):
    """One version of one memory. Corrections and updates add rows; they never rewrite one."""

    model_config = ConfigDict(use_enum_values=True)

    id: str
    namespace: str
    content: str
    kind: Kind = Kind.fact
    tier: Tier = Tier.episodic
    status: Status = Status.active
    confidence: float = 0.8
    strength: float = 1.0
    decay_rate: float = 0.02
    recall_count: int = 0
    last_recalled_at: datetime | None = None
    recorded_at: datetime
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ended_at: datetime | None = Field(
        default=None, description="When this version stopped being current (superseded, forgotten, archived)."
    )
    supersedes: str | None = None
    superseded_by: str | None = None
    source: Source = Source.explicit
    provenance: list[str] = Field(
        default_factory=list, description="Ids of source memories and external references (e.g. 'turn:D1:3')."
    )
    tags: list[str] = Field(default_factory=list)
    session_id: str | None = None
    content_hash: str = ""
    embedding_model: str = ""


class RememberResult(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    decision: Action
    memory_ids: list[str] = Field(description="Memories written or touched: the new one first, then any it replaced.")
    reason: str
    kind: Kind | None = None
    redactions: list[str] = Field(default_factory=list, description="Kinds of secret removed from the text.")
    dry_run: bool = False


class Scores(BaseModel):
    vector: float = Field(description="Cosine similarity of query and memory (0 when not a vector candidate).")
    keyword: float = Field(description="Normalised BM25 score (0 when not a keyword candidate).")
    fused: float = Field(description="Fusion of the two: the weighted mean of vector and keyword scores.")
    strength: float
    recency: float
    confidence: float
    learned: float | None = Field(default=None, description="The memory-ops model's utility, when it reranked.")
    final: float


class RecallHit(BaseModel):
    memory: Memory
    scores: Scores
    flags: list[str] = Field(default_factory=list, description="e.g. 'conflict', 'superseded', 'archived', 'in_time_frame' (dated inside the time the query names).")


class RecallResult(BaseModel):
    recall_id: str
    results: list[RecallHit]


class ForgetResult(BaseModel):
    forgotten: list[str]
    hard: bool
    reason: str


class CorrectResult(BaseModel):
    old: Memory
    new: Memory


class FeedbackResult(BaseModel):
    recall_id: str
    memory_id: str
    signal: Signal
    recorded: bool = True


class AuditEntry(BaseModel):
    id: int
    at: datetime
    namespace: str
    action: str
    memory_id: str | None
    actor: str
    detail: dict[str, Any]


class Stats(BaseModel):
    namespaces: dict[str, dict[str, int]]
    total_memories: int
    embedding_model: str | None
    embedding_dim: int | None
    embedding_precision: str | None = None  # int8 | fp32: how this process runs the model (the vectors agree within cosine 0.99)
    query_precision: str | None = None  # int8 | fp32: how it embeds recall's queries (never stored)
    schema_version: int
    database: str
    driver: str


class RememberRequest(BaseModel):
    """Arguments of one write, as the service takes them (tools validate into this)."""

    namespace: str
    content: str
    kind: Kind | None = None
    tags: list[str] = Field(default_factory=list)
    confidence: float | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    session_id: str | None = None
    source_ref: str | None = Field(default=None, description="External reference, e.g. a conversation turn id.")
    context: str | None = Field(
        default=None,
        description="Text that situates the statement, e.g. the turn it answers; helps find it, is not stored as its content.",
    )
    source: Source = Source.explicit
    dry_run: bool = False


Strategy = Literal["hybrid", "vector", "keyword"]


class RecallRequest(BaseModel):
    namespace: str
    query: str
    k: int = 10
    kinds: list[Kind] | None = None
    tags: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    as_of: datetime | None = None
    include_superseded: bool = False
    include_archived: bool = False
    now: datetime | None = Field(default=None, description="The reference time for recency (defaults to the clock).")
    strategy: Strategy = Field(default="hybrid", description="'vector' and 'keyword' exist for baselines.")
    reinforce: bool = True
