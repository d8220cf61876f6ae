"""Reverie's error tree, drawn once:

    ReverieError                 base; `code` is stable and machine-readable
    ├── InvalidInput             bad arguments: empty/oversized content, bad dates, unknown kinds
    ├── NotFound                 an id that does not exist in this namespace
    ├── PermissionDenied         a namespace or write the caller's token does not allow
    ├── ConfigError              settings that cannot work (names the fix)
    │   ├── SqliteExtensionUnavailable   no SQLite driver here can load sqlite-vec
    │   └── EmbeddingMismatch    the database was built with another embedding model
    └── StoreBusy                the database stayed locked past every retry

Tools raise these; the tool layer turns them into an MCP error result whose text
starts with `[code]`, so clients and tests can branch on the code, not the prose.
"""

from __future__ import annotations


class ReverieError(Exception):
    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InvalidInput(ReverieError):
    code = "invalid_input"


class NotFound(ReverieError):
    code = "not_found"


class PermissionDenied(ReverieError):
    code = "permission_denied"


class ConfigError(ReverieError):
    code = "config_error"


class SqliteExtensionUnavailable(ConfigError):
    code = "sqlite_extension_unavailable"


class EmbeddingMismatch(ConfigError):
    code = "embedding_mismatch"


class StoreBusy(ReverieError):
    code = "store_busy"
