"""Signing keys' private parts at rest: encrypted with COPLAB_KEY_ENCRYPTION_KEYS (the stored column holds
no private parameter in clear), plain keys encrypted when `coplab serve` starts with a key, tokens minted
before a restart verifying after it, the encryption key rotated, and a wrong key refused in one line.
Real `coplab` processes on SQLite and PostgreSQL."""

import base64
import json
import secrets
from pathlib import Path

import httpx
import sqlalchemy as sa

from api.auth.key_encryption import fingerprint
from api.core.db import create_sync_engine
from tests.oauth.test_issuer import _client, _coplab, _viewer, fresh_database  # noqa: F401
from tests.server import COPLAB, coplab_environment, free_port, server_process
from tests.server import HTTP_TIMEOUT


def _new_key() -> tuple[str, bytes]:
    raw = secrets.token_bytes(32)
    return base64.b64encode(raw).decode(), raw  # as `openssl rand -base64 32` writes it


def _stored(database_url: str) -> dict[str, str]:
    """kid → the private_jwk column as stored, read with SQL."""
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.text("SELECT kid, private_jwk FROM signing_key")).all())
    finally:
        engine.dispose()


def _sealed_with(stored: str) -> str:
    """The encryption key id in a stored value's JWE header; it must not be a JWK in clear."""
    assert '"d"' not in stored and not stored.lstrip().startswith("{"), stored
    header = stored.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def _client_credentials(base: str, client: dict[str, str]) -> str:
    answer = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                        auth=(client["client_id"], client["client_secret"]), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_keys_are_encrypted_at_rest_and_tokens_verify_across_restarts(fresh_database: str) -> None:
    port = free_port()
    plain = coplab_environment(fresh_database)
    serve = [COPLAB, "serve", "--no-seed", "--port", str(port)]

    # Before any encryption key: development stores the key as plain JSON.
    with server_process(serve, plain, port=port) as (base, _):
        assert _coplab("org", "create", "hotline", "--name", "A Hotline", "--type", "HOTLINE", "--country", "NL",
                       env=plain).returncode == 0
        machine = _client(plain, "--name", "Case system", "--scopes", "initiatives:read")
        before = _client_credentials(base, machine)
    [(kid, stored)] = _stored(fresh_database).items()
    assert '"d"' in stored

    # Started with a key, the server encrypts the stored key: the same key, so earlier tokens verify.
    first, first_raw = _new_key()
    keyed = {**plain, "COPLAB_KEY_ENCRYPTION_KEYS": first}
    with server_process(serve, keyed, port=port) as (base, _):
        assert _viewer(base, before).json()["data"]["viewer"]["kind"] == "client"
        during = _client_credentials(base, machine)
        assert _viewer(base, during).json()["data"]["viewer"]["kind"] == "client"
    assert list(_stored(fresh_database)) == [kid]
    assert _sealed_with(_stored(fresh_database)[kid]) == fingerprint(first_raw)

    # A new signing key is encrypted from its creation; after a restart both keys' tokens verify.
    rotated = _coplab("keys", "rotate", "--activate-in", "0", env=keyed)
    assert rotated.returncode == 0, rotated.stderr
    assert len(_stored(fresh_database)) == 2
    assert {_sealed_with(value) for value in _stored(fresh_database).values()} == {fingerprint(first_raw)}
    with server_process(serve, keyed, port=port) as (base, _):
        after = _client_credentials(base, machine)
        for token in (before, during, after):
            assert _viewer(base, token).json()["data"]["viewer"]["kind"] == "client"
    minted = _coplab("token", "mint", "--org", "hotline", "--scopes", "initiatives:read", env=keyed)
    assert minted.returncode == 0, minted.stderr


def test_the_encryption_key_rotates_and_a_wrong_one_is_refused_in_one_line(fresh_database: str, tmp_path: Path) -> None:
    old, old_raw = _new_key()
    new, new_raw = _new_key()
    env = coplab_environment(fresh_database, COPLAB_KEY_ENCRYPTION_KEYS=old)
    for args in (("db", "upgrade"), ("vocabularies", "load"), ("org", "create", "iwf", "--name", "IWF", "--type", "HOTLINE", "--country", "GB")):
        assert _coplab(*args, env=env).returncode == 0
    minted = _coplab("token", "mint", "--org", "iwf", "--scopes", "initiatives:read", env=env)
    assert minted.returncode == 0, minted.stderr
    assert {_sealed_with(v) for v in _stored(fresh_database).values()} == {fingerprint(old_raw)}

    # The new key first (it encrypts), the old one after (it still decrypts); then `keys encrypt`.
    both = {**env, "COPLAB_KEY_ENCRYPTION_KEYS": f"{new}, {old}"}
    assert _coplab("token", "mint", "--org", "iwf", "--scopes", "initiatives:read", env=both).returncode == 0
    encrypted = _coplab("keys", "encrypt", env=both)
    assert encrypted.returncode == 0, encrypted.stderr
    assert f"encrypted 1 signing key(s) with the key whose id is {fingerprint(new_raw)}" in encrypted.stderr
    assert {_sealed_with(v) for v in _stored(fresh_database).values()} == {fingerprint(new_raw)}
    again = _coplab("keys", "encrypt", env=both)
    assert again.returncode == 0 and again.stderr == ""  # idempotent

    # The old key alone no longer opens the stored key: one clear line, no traceback, no key material.
    old_only = {**env, "COPLAB_KEY_ENCRYPTION_KEYS": old}
    for command in (("token", "mint", "--org", "iwf", "--scopes", "initiatives:read"), ("keys", "encrypt")):
        refused = _coplab(*command, env=old_only)
        assert refused.returncode == 1 and refused.stdout == ""
        [line] = refused.stderr.splitlines()
        assert line.startswith("COPLAB_KEY_ENCRYPTION_KEYS: signing key ")
        assert f"encrypted with the key whose id is {fingerprint(new_raw)}, which is not among the configured keys" in line
        assert "Traceback" not in refused.stderr and old not in refused.stderr and new not in refused.stderr
    port = free_port()
    serving = _coplab("serve", "--no-seed", "--port", str(port), env=old_only)
    assert serving.returncode == 1 and "Traceback" not in serving.stderr
    assert serving.stderr.splitlines()[-1].startswith("COPLAB_KEY_ENCRYPTION_KEYS: signing key ")
    # Without any key, an encrypted store is refused the same way rather than read as plain.
    unkeyed = {k: v for k, v in env.items() if k != "COPLAB_KEY_ENCRYPTION_KEYS"}
    refused = _coplab("token", "mint", "--org", "iwf", "--scopes", "initiatives:read", env=unkeyed)
    assert refused.returncode == 1 and "(ids: none)" in refused.stderr and "Traceback" not in refused.stderr

    # The new key alone works: the rotation is complete.
    new_only = {**env, "COPLAB_KEY_ENCRYPTION_KEYS": new}
    assert _coplab("token", "mint", "--org", "iwf", "--scopes", "initiatives:read", env=new_only).returncode == 0


def test_a_stored_key_altered_or_moved_is_refused(fresh_database: str) -> None:
    key, _ = _new_key()
    env = coplab_environment(fresh_database, COPLAB_KEY_ENCRYPTION_KEYS=key)
    assert _coplab("db", "upgrade", env=env).returncode == 0
    assert _coplab("keys", "rotate", env=env).returncode == 0
    assert _coplab("keys", "rotate", "--activate-in", "0", env=env).returncode == 0
    [(first, first_value), (second, second_value)] = sorted(_stored(fresh_database).items())
    engine = create_sync_engine(fresh_database)
    with engine.begin() as connection:  # each row now holds the other key's ciphertext
        for kid, value in ((first, second_value), (second, first_value)):
            connection.execute(sa.text("UPDATE signing_key SET private_jwk = :v WHERE kid = :k"), {"v": value, "k": kid})
    engine.dispose()
    refused = _coplab("keys", "encrypt", env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "does not open as that key's JWK (altered, or moved from another row)" in refused.stderr
