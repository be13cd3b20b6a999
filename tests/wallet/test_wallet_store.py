"""Encrypted storage: passphrases, encryption at rest, dedupe, backup and atomic writes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from wallet.errors import (
    WalletError,
    WalletExistsError,
    WalletMissingError,
    WrongPassphraseError,
)
from wallet.store import WalletStore

from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from wallet import crypto

PASSPHRASE = "correct horse battery staple"


def _store(tmp_path: Path, name: str = "wallet.sqlite3") -> WalletStore:
    return WalletStore(f"sqlite:///{tmp_path / name}", kdf_log2_n=10)


def _credential(holder: str, name: str = "Hand Tool Proficiency") -> dict:
    key, did = create_did_key()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": holder, "name": name},
    }
    return issue_credential(credential, key)


def test_create_and_unlock(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert not store.exists()
    created = store.create(PASSPHRASE)
    unlocked = store.unlock(PASSPHRASE)
    assert unlocked.data_key == created.data_key
    assert unlocked.default_key().did.startswith("did:key:z6Mk")


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create(PASSPHRASE)
    with pytest.raises(WrongPassphraseError, match="passphrase is wrong"):
        store.unlock("not the passphrase")


def test_unlock_without_wallet(tmp_path: Path) -> None:
    with pytest.raises(WalletMissingError):
        _store(tmp_path).unlock(PASSPHRASE)


def test_create_twice_is_rejected(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create(PASSPHRASE)
    with pytest.raises(WalletExistsError):
        store.create(PASSPHRASE)


def test_short_passphrase_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="at least 10 characters"):
        _store(tmp_path).create("short")


def test_nothing_readable_at_rest(tmp_path: Path) -> None:
    store = _store(tmp_path)
    wallet = store.create(PASSPHRASE)
    holder = wallet.default_key()
    secret = holder.key_pair.export_multikey(include_secret=True)["secretKeyMultibase"]
    wallet.add_credential(
        _credential(holder.did, "Blueprint Reading Basics"),
        verification={},
        source="test",
    )
    store.dispose()
    raw = (tmp_path / "wallet.sqlite3").read_bytes()
    assert b"Blueprint Reading Basics" not in raw
    assert secret.encode() not in raw


def test_same_credential_stored_once(tmp_path: Path) -> None:
    wallet = _store(tmp_path).create(PASSPHRASE)
    credential = _credential(wallet.default_key().did)
    first, added_first = wallet.add_credential(credential, verification={}, source="a")
    second, added_second = wallet.add_credential(
        credential, verification={}, source="b"
    )
    assert added_first
    assert not added_second
    assert second.id == first.id
    assert len(wallet.list_credentials()) == 1


def test_backup_roundtrip_to_new_wallet(tmp_path: Path) -> None:
    source = _store(tmp_path, "a.sqlite3").create(PASSPHRASE)
    holder = source.default_key().did
    for name in ("One", "Two", "Three"):
        source.add_credential(_credential(holder, name), verification={}, source="t")
    backup = source.export_backup("backup passphrase 1")

    target = _store(tmp_path, "b.sqlite3").create("another passphrase")
    result = target.import_backup(backup, "backup passphrase 1")
    assert result.credentials_added == 3
    assert result.keys_added == 1
    assert holder in target.holder_dids()

    again = target.import_backup(backup, "backup passphrase 1")
    assert again.credentials_added == 0
    assert again.credentials_present == 3
    assert again.keys_added == 0
    names = sorted(
        c.credential["credentialSubject"]["name"] for c in target.list_credentials()
    )
    assert names == ["One", "Three", "Two"]


def test_backup_wrong_passphrase(tmp_path: Path) -> None:
    wallet = _store(tmp_path).create(PASSPHRASE)
    backup = wallet.export_backup("backup passphrase 1")
    with pytest.raises(WrongPassphraseError):
        wallet.import_backup(backup, "backup passphrase 2")


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"format": "something-else"}',
        b'{"format": "vcwork-wallet-backup", "version": 99}',
        b'{"format": "vcwork-wallet-backup", "version": 1, "kdf": {"name": "scrypt"}}',
        b'{"format": "vcwork-wallet-backup", "version": 1, "kdf": {"name": "scrypt", '
        b'"salt": "AAAAAAAAAAAAAAAAAAAAAA", "log2_n": 40, "r": 8, "p": 1}}',
    ],
)
def test_malformed_backup_rejected(tmp_path: Path, data: bytes) -> None:
    wallet = _store(tmp_path).create(PASSPHRASE)
    with pytest.raises(WalletError):
        wallet.import_backup(data, PASSPHRASE)


def test_crash_during_import_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _store(tmp_path, "a.sqlite3").create(PASSPHRASE)
    holder = source.default_key().did
    for name in ("One", "Two", "Three"):
        source.add_credential(_credential(holder, name), verification={}, source="t")
    backup = source.export_backup(PASSPHRASE)
    target = _store(tmp_path, "b.sqlite3").create(PASSPHRASE)
    original = crypto.encrypt
    calls = {"n": 0}

    def failing_encrypt(key: bytes, plaintext: bytes, *, aad: str) -> bytes:
        if aad.startswith("credential:"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("simulated crash")
        return original(key, plaintext, aad=aad)

    monkeypatch.setattr(crypto, "encrypt", failing_encrypt)
    with pytest.raises(RuntimeError):
        target.import_backup(backup, PASSPHRASE)
    monkeypatch.undo()
    assert target.list_credentials() == []
    assert len(target.holder_keys()) == 1


def test_sessions_unlock_and_close(tmp_path: Path) -> None:
    store = _store(tmp_path)
    wallet = store.create(PASSPHRASE)
    token = store.open_session(wallet, minutes=5)
    assert store.resume_session(token).data_key == wallet.data_key
    store.close_session(token)
    with pytest.raises(WalletError, match="locked"):
        store.resume_session(token)


def test_session_row_alone_reveals_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    wallet = store.create(PASSPHRASE)
    store.open_session(wallet, minutes=5)
    store.dispose()
    connection = sqlite3.connect(tmp_path / "wallet.sqlite3")
    (wrapped,) = connection.execute(
        "select wrapped_key from wallet_sessions"
    ).fetchone()
    connection.close()
    assert wallet.data_key not in wrapped


def test_delete_wallet_requires_passphrase(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create(PASSPHRASE)
    with pytest.raises(WrongPassphraseError):
        store.delete_wallet("wrong passphrase!")
    assert store.exists()
    store.delete_wallet(PASSPHRASE)
    assert not store.exists()


def test_kdf_parameters_roundtrip() -> None:
    params = crypto.KdfParameters.new(12)
    again = crypto.KdfParameters.from_json(json.loads(json.dumps(params.to_json())))
    assert again == params
