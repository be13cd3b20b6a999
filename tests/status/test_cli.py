"""The ``status`` Typer app: allocate, revoke, suspend, reinstate, show, publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vcwork.credentials import verify_credential
from vcwork.did import create_did_key
from vcwork.status import Bitstring, StatusChangeError
from vcwork.status.cli import status_app

runner = CliRunner()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    key_pair, _ = create_did_key()
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key_pair.export_multikey(include_secret=True)))
    return path


def run(*args: str | Path) -> Any:
    result = runner.invoke(status_app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_commands_end_to_end(tmp_path: Path, key_file: Path) -> None:
    db = tmp_path / "status.db"
    base = "https://issuer.test/status"
    entries = run(
        "allocate",
        "urn:uuid:a",
        "--db",
        db,
        "--base-url",
        base,
        "--key",
        key_file,
        "--purpose",
        "revocation",
        "--purpose",
        "suspension",
    )
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    run("allocate", "urn:uuid:b", "--db", db, "--base-url", base)

    suspended = run("suspend", "urn:uuid:a", "--db", db, "--key", key_file)
    assert suspended["changed"] == ["urn:uuid:a"]
    reinstated = run("reinstate", "urn:uuid:a", "--db", db, "--key", key_file)
    assert reinstated["changed"] == ["urn:uuid:a"]
    revoked = run("revoke", "urn:uuid:a", "urn:uuid:b", "--db", db, "--key", key_file)
    assert revoked["changed"] == ["urn:uuid:a", "urn:uuid:b"]
    assert revoked["resigned"] == [entries[0]["statusListCredential"]]

    shown = run("show", "urn:uuid:a", "--db", db)
    assert {item["entry"]["statusPurpose"]: item["status"] for item in shown} == {
        "revocation": 1,
        "suspension": 0,
    }
    assert len(run("show", "--db", db)) == 2

    out = tmp_path / "list.json"
    url = entries[0]["statusListCredential"]
    run("publish", "--db", db, "--key", key_file, "--list", url, "--out", out)
    credential = json.loads(out.read_text())
    assert verify_credential(credential).verified
    bits = Bitstring.decode(credential["credentialSubject"]["encodedList"])
    assert bits.get_bit(int(entries[0]["statusListIndex"])) == 1


def test_reinstate_revoked_raises(tmp_path: Path, key_file: Path) -> None:
    db = tmp_path / "status.db"
    run(
        "allocate",
        "urn:uuid:a",
        "--db",
        db,
        "--base-url",
        "https://issuer.test/s",
        "--purpose",
        "revocation",
        "--purpose",
        "suspension",
    )
    run("revoke", "urn:uuid:a", "--db", db, "--key", key_file)
    with pytest.raises(StatusChangeError, match="revocation is final"):
        runner.invoke(
            status_app,
            ["reinstate", "urn:uuid:a", "--db", str(db), "--key", str(key_file)],
            catch_exceptions=False,
        )
