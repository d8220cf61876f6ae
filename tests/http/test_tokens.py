"""Tokens: shown once, stored only as hashes, the secret outside the database (keyring, else a 0600 file)."""

from __future__ import annotations

import json
import logging
import os
import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring

from server.cli import main
from server.errors import ConfigError, InvalidInput, NotFound
from server.http.app import open_tokens
from server.http.tokens import KEYRING_SERVICE, KEYRING_USER, TokenSecret
from tests.http.conftest import http_settings


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    settings = http_settings(tmp_path)
    monkeypatch.setenv("REVERIE_DB", str(settings.db))
    monkeypatch.setenv("REVERIE_TOKEN_SECRET_STORE", "file")
    monkeypatch.setenv("REVERIE_TOKEN_SECRET_FILE", str(settings.token_secret_file))
    return settings


def test_token_cli_creates_lists_and_revokes(cli_env, capsys):
    assert main(["token", "create", "--namespace", "alice", "--namespace", "shared", "--read-only", "--name", "phone"]) == 0
    out = capsys.readouterr().out
    record = json.loads(out[: out.rindex("}") + 1])
    token = out.strip().splitlines()[-1]
    assert token.startswith("rvt_") and record["namespaces"] == ["alice", "shared"] and record["read_only"]

    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert json.loads(listed)[0]["name"] == "phone" and token not in listed

    tokens = open_tokens(cli_env)
    try:
        assert tokens.verify(token).namespaces == ("alice", "shared")
        assert main(["token", "revoke", record["id"]]) == 0
        assert tokens.verify(token) is None
    finally:
        tokens.db.close()
    assert main(["token", "revoke", "nosuchid"]) == 2


def test_token_create_needs_a_valid_namespace(cli_env):
    tokens = open_tokens(cli_env)
    try:
        with pytest.raises(InvalidInput):
            tokens.create([])
        with pytest.raises(InvalidInput):
            tokens.create(["bad namespace!"])
        with pytest.raises(NotFound):
            tokens.revoke("missing")
    finally:
        tokens.db.close()


def test_database_holds_only_hashes_and_the_secret_lives_in_a_0600_file(cli_env, caplog):
    tokens = open_tokens(cli_env)
    try:
        record, token = tokens.create(["alice"])
        secret = cli_env.token_secret_file.read_text().strip()
    finally:
        tokens.db.close()
    assert stat.S_IMODE(os.stat(cli_env.token_secret_file).st_mode) == 0o600
    raw = b"".join(p.read_bytes() for p in cli_env.db.parent.glob("reverie.db*"))
    assert token.encode() not in raw and token.split("_", 2)[2].encode() not in raw  # the secret part may itself hold "_"
    assert secret.encode() not in raw


def test_no_keyring_backend_falls_back_to_the_file_with_a_warning(cli_env, caplog):
    if not isinstance(keyring.get_keyring(), FailKeyring):
        pytest.skip("this machine has a keyring backend")
    settings = cli_env.model_copy(update={"token_secret_store": "auto"})
    with caplog.at_level(logging.WARNING, logger="reverie"):
        key = TokenSecret(settings).get(create=True)
    assert key and settings.token_secret_file.exists()
    assert "no OS keyring backend" in caplog.text


def test_secret_file_readable_by_others_is_refused(cli_env):
    TokenSecret(cli_env).get(create=True)
    os.chmod(cli_env.token_secret_file, 0o644)
    with pytest.raises(ConfigError):
        TokenSecret(cli_env).get()


def test_secret_goes_to_the_os_keyring_when_one_exists(cli_env):
    previous = keyring.get_keyring()

    class MemoryKeyring(KeyringBackend):  # defined here so keyring's discovery never picks it up elsewhere
        priority = 1

        def __init__(self):
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        settings = cli_env.model_copy(update={"token_secret_store": "keyring"})
        tokens = open_tokens(settings)
        try:
            _, token = tokens.create(["alice"])
            assert tokens.verify(token) is not None
        finally:
            tokens.db.close()
        assert (KEYRING_SERVICE, KEYRING_USER) in backend.items
        assert not settings.token_secret_file.exists()

        # A secret file made before the keyring existed keeps working in `auto` mode (its tokens stay valid).
        backend.items.clear()
        file_settings = cli_env.model_copy(update={"token_secret_store": "file"})
        tokens = open_tokens(file_settings)
        try:
            _, old_token = tokens.create(["alice"])
        finally:
            tokens.db.close()
        tokens = open_tokens(cli_env.model_copy(update={"token_secret_store": "auto"}))
        try:
            assert tokens.verify(old_token) is not None
            assert backend.items == {}
        finally:
            tokens.db.close()
    finally:
        keyring.set_keyring(previous)


def test_a_token_checked_against_another_secret_fails(cli_env, tmp_path):
    tokens = open_tokens(cli_env)
    try:
        _, token = tokens.create(["alice"])
        other = TokenSecret(cli_env.model_copy(update={"token_secret_file": tmp_path / "other-secret"}))
        other.get(create=True)
        tokens.secret = other
        assert tokens.verify(token) is None
    finally:
        tokens.db.close()
