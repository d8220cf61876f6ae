"""Shared by the resources: JSON rendering, pagination and namespace scoping."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from server.errors import NotFound, ReverieError
from tools._common import app_of, scope

PAGE = 50
MAX_PAGE = 500


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def page_args(cursor: str | None, limit: str | None) -> tuple[int | None, int]:
    try:
        before = int(cursor) if cursor else None
        size = int(limit) if limit else PAGE
    except ValueError as exc:
        raise ResourceError("[invalid_input] cursor and limit must be integers.") from exc
    if not 1 <= size <= MAX_PAGE:
        raise ResourceError(f"[invalid_input] limit must be between 1 and {MAX_PAGE}.")
    return before, size


def scoped(ctx: Context, namespace: str) -> str:
    try:
        from server.service import check_namespace

        return scope(ctx, check_namespace(namespace), write=False)
    except NotFound as exc:
        raise ResourceNotFoundError(str(exc)) from exc
    except ReverieError as exc:
        raise ResourceError(str(exc)) from exc


__all__ = ["app_of", "page_args", "scoped", "to_json"]
