"""Bearer tokens for the HTTP transport: shown once, stored as HMAC-SHA256 hashes, checked in constant time.

A token reads `rvt_<id>_<random>` (256 random bits). The id finds its record; the
whole token is hashed with a server-wide secret and compared with
`hmac.compare_digest`. The records live in the database (`tokens`, migration
m002); the secret never does: it lives in the OS keyring, or where no keyring
backend exists (headless Linux) in a file only its owner can read. So a copied
database file lets no one check guesses offline or mint tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from server.clock import SystemClock, to_iso
from server.config import Settings
from server.errors import ConfigError, InvalidInput, NotFound

log = logging.getLogger("reverie")

KEYRING_SERVICE = "reverie"
KEYRING_USER = "http-token-secret"
PREFIX = "rvt_"


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    namespaces: tuple[str, ...]
    read_only: bool
    created_at: str
    revoked_at: str | None = None

    def public(self) -> dict:
        """What `token list` shows: never the token or its hash."""
        return {"id": self.id, "name": self.name, "namespaces": list(self.namespaces), "read_only": self.read_only,
                "created_at": self.created_at, "revoked_at": self.revoked_at}


class TokenSecret:
    """The HMAC key: OS keyring first, else a 0600 file (with a warning), as `settings.token_secret_store` says."""

    def __init__(self, settings: Settings):
        self.store = settings.token_secret_store
        self.file = settings.token_secret_file
        self._value: bytes | None = None
        self._no_keyring = False
        self._lock = threading.Lock()

    def get(self, *, create: bool = False) -> bytes | None:
        """The secret; None when none exists yet and `create` is false.

        Raises:
            ConfigError: keyring required but unavailable, or the secret file is readable by others.
        """
        with self._lock:
            if self._value is None:
                self._value = self._load(create)
            return self._value

    def _load(self, create: bool) -> bytes | None:
        if self.store == "keyring" or (self.store == "auto" and not self._no_keyring):
            import keyring
            from keyring.errors import KeyringError, NoKeyringError

            try:
                value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
                if value is None and self.store == "auto" and Path(self.file).exists():
                    return self._from_file(create=False)  # made before a keyring backend was installed: keep it
                if value is None and create:
                    keyring.set_password(KEYRING_SERVICE, KEYRING_USER, secrets.token_hex(32))
                    value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)  # a racing writer may have won
                return bytes.fromhex(value) if value else None
            except (NoKeyringError, KeyringError) as exc:
                if self.store == "keyring":
                    raise ConfigError(f"No usable OS keyring ({exc}); set REVERIE_TOKEN_SECRET_STORE=file or install one.") from exc
                self._no_keyring = True
                log.warning(
                    "no OS keyring backend; the token secret is kept in %s (mode 0600). "
                    "Install a keyring backend to keep it out of the file system.", self.file,
                )
        return self._from_file(create)

    def _from_file(self, create: bool) -> bytes | None:
        path = Path(self.file)
        if not path.exists():
            if not create:
                return None
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it first: use theirs
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
        mode = stat.S_IMODE(path.stat().st_mode)
        if os.name == "posix" and mode & 0o077:
            raise ConfigError(f"The token secret {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`.")
        text = path.read_text().strip()
        if not text:  # the creator has not written it yet
            return None
        return bytes.fromhex(text)


class TokenStore:
    """Create, list, revoke and verify tokens. Safe to share between threads and processes."""

    def __init__(self, db, secret: TokenSecret):
        """`db`: a connection from `server.store.open_database` (SQLite or PostgreSQL)."""
        self.db = db
        self.secret = secret

    def _hash(self, key: bytes, token: str) -> str:
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()

    def create(self, namespaces: list[str], *, read_only: bool = False, name: str | None = None) -> tuple[TokenRecord, str]:
        """A new token for `namespaces` (the first is the default); the token string is returned only here.

        Raises:
            InvalidInput: no namespace, or an invalid one.
        """
        from server.service import check_namespace

        if not namespaces:
            raise InvalidInput("A token needs at least one namespace (--namespace NS).")
        namespaces = list(dict.fromkeys(check_namespace(ns) for ns in namespaces))
        key = self.secret.get(create=True)
        token_id = secrets.token_hex(6)
        token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = TokenRecord(token_id, (name or f"token-{token_id}").strip()[:100], tuple(namespaces), read_only,
                             to_iso(SystemClock().now()))
        with self.db.write():
            self.db.execute(
                "INSERT INTO tokens(id, name, namespaces, read_only, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (record.id, record.name, json.dumps(namespaces), int(read_only), self._hash(key, token), record.created_at),
            )
        return record, token

    def list(self) -> list[TokenRecord]:
        rows = self.db.execute("SELECT id, name, namespaces, read_only, created_at, revoked_at FROM tokens ORDER BY created_at, id")
        return [_record(r) for r in rows]

    def revoke(self, token_id: str) -> TokenRecord:
        """Raises:
        NotFound: no token with this id.
        """
        with self.db.write():
            if not self.db.one("SELECT 1 FROM tokens WHERE id = ?", (token_id,)):
                raise NotFound(f"No token {token_id!r}; `reverie token list` shows the ids.")
            self.db.execute("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", (to_iso(SystemClock().now()), token_id))
            row = self.db.one("SELECT id, name, namespaces, read_only, created_at, revoked_at FROM tokens WHERE id = ?", (token_id,))
        return _record(row)

    def any_active(self) -> bool:
        return self.db.one("SELECT 1 FROM tokens WHERE revoked_at IS NULL LIMIT 1") is not None

    def verify(self, token: str) -> TokenRecord | None:
        """The token's record if it is genuine and not revoked, else None."""
        token_id = token[len(PREFIX):].split("_", 1)[0] if token.startswith(PREFIX) else ""
        row = self.db.one(
            "SELECT id, name, namespaces, read_only, created_at, revoked_at, hash FROM tokens WHERE id = ?", (token_id,)
        ) if token_id else None
        key = self.secret.get()
        # Hash and compare even when the id is unknown, so timing says nothing about which ids exist.
        expected = row[6] if row else "0" * 64
        genuine = hmac.compare_digest(expected, self._hash(key or b"\0", token))
        if row is None or key is None or not genuine or row[5] is not None:
            return None
        return _record(row)


def _record(row) -> TokenRecord:
    return TokenRecord(id=row[0], name=row[1], namespaces=tuple(json.loads(row[2])), read_only=bool(row[3]),
                       created_at=row[4], revoked_at=row[5])
