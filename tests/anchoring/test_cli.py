"""``vcwork anchor`` commands on a SQLite file and a Multikey key file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vcwork.anchoring.cli import anchor_app
from vcwork.errors import MalformedValueError
from vcwork.keys import Ed25519KeyPair

runner = CliRunner()


@pytest.fixture
def files(
    tmp_path: Path, issuer_key: Ed25519KeyPair, credentials: list[dict[str, Any]]
) -> dict[str, Path]:
    key = tmp_path / "issuer-key.json"
    key.write_text(json.dumps(issuer_key.export_multikey(include_secret=True)), "utf-8")
    paths = {"key": key, "db": tmp_path / "anchors.db"}
    for index, credential in enumerate(credentials[:3]):
        path = tmp_path / f"credential-{index}.json"
        path.write_text(json.dumps(credential), "utf-8")
        paths[f"credential-{index}"] = path
    return paths


def _run(*args: str) -> Any:
    return runner.invoke(anchor_app, [str(a) for a in args], catch_exceptions=True)


def _anchor_three(files: dict[str, Path]) -> None:
    added = _run(
        "add",
        files["credential-0"],
        files["credential-1"],
        files["credential-2"],
        "--db",
        files["db"],
        "--key",
        files["key"],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["pending"] == 3
    closed = _run("close", "--db", files["db"], "--key", files["key"])
    assert closed.exit_code == 0, closed.output
    anchored = json.loads(closed.output)["anchored"]
    assert [b["size"] for b in anchored] == [3]


def test_cli_anchor_and_verify(files: dict[str, Path], tmp_path: Path) -> None:
    _anchor_three(files)
    receipt_output = _run("receipt", files["credential-1"], "--db", files["db"])
    assert receipt_output.exit_code == 0, receipt_output.output
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(receipt_output.output, "utf-8")
    assert json.loads(receipt_output.output)["batch"]["leafIndex"] == 1

    verified = _run(
        "verify", files["credential-1"], "--receipt", receipt_path, "--db", files["db"]
    )

    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["outcome"] == "passed"


def test_cli_verify_other_credential_fails(
    files: dict[str, Path], tmp_path: Path
) -> None:
    _anchor_three(files)
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(
        _run("receipt", files["credential-1"], "--db", files["db"]).output, "utf-8"
    )

    verified = _run(
        "verify", files["credential-2"], "--receipt", receipt_path, "--db", files["db"]
    )

    assert verified.exit_code == 1
    body = json.loads(verified.output)
    assert body["outcome"] == "failed"
    assert body["problems"][0]["property"] == "credentialDigest"


def test_cli_tree_head_and_consistency(files: dict[str, Path]) -> None:
    _anchor_three(files)
    head = _run("tree-head", "--db", files["db"])
    assert head.exit_code == 0, head.output
    assert json.loads(head.output)["treeSize"] == 1
    proof = _run("consistency", "1", "--db", files["db"])
    assert proof.exit_code == 0, proof.output
    assert json.loads(proof.output)["consistencyPath"] == []


def test_cli_missing_database_raises(tmp_path: Path) -> None:
    result = _run("tree-head", "--db", tmp_path / "missing.db")
    assert isinstance(result.exception, MalformedValueError)
    assert "anchor database file not found" in str(result.exception)


def test_cli_receipt_before_close_raises(files: dict[str, Path]) -> None:
    _run("add", files["credential-0"], "--db", files["db"], "--key", files["key"])
    result = _run("receipt", files["credential-0"], "--db", files["db"])
    assert isinstance(result.exception, MalformedValueError)
    assert "not anchored yet" in str(result.exception)
