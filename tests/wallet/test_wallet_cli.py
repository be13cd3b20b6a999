"""The ``wallet`` CLI: set up, receive over loopback HTTP, list, backup and import."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner
from wallet.cli import cli
from wallet_testing import PASSPHRASE, LoopbackIssuer

runner = CliRunner()
ENV = {"VCWORK_WALLET_PASSPHRASE": PASSPHRASE}


def test_cli_receive_list_backup(tmp_path: Path, issuer: LoopbackIssuer) -> None:
    data = ["--data-dir", str(tmp_path / "a")]
    result = runner.invoke(cli, ["init", *data], env=ENV)
    assert result.exit_code == 0, result.output
    assert "did:key:z6Mk" in result.output

    offer = issuer.offer(["hand-tools"], tx_code="1357")
    result = runner.invoke(
        cli,
        ["receive", offer, "--tx-code", "1357", "--allow-http-loopback", *data],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert "stored" in result.output

    result = runner.invoke(cli, ["list", "--json", *data], env=ENV)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [c["name"] for c in listed] == ["Hand Tool Proficiency"]
    assert listed[0]["level"] == "entry"

    backup = tmp_path / "backup.json"
    result = runner.invoke(cli, ["export", str(backup), *data], env=ENV)
    assert result.exit_code == 0, result.output

    other = ["--data-dir", str(tmp_path / "b")]
    result = runner.invoke(cli, ["import", str(backup), *other], env=ENV)
    assert result.exit_code == 0, result.output
    assert "imported 1 credentials" in result.output


def test_cli_wrong_passphrase(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    runner.invoke(cli, ["init", *data], env=ENV)
    result = runner.invoke(
        cli, ["list", *data], env={"VCWORK_WALLET_PASSPHRASE": "wrong passphrase"}
    )
    assert result.exit_code == 1
    assert "passphrase is wrong" in result.output


def test_cli_rejects_tampered(tmp_path: Path, issuer: LoopbackIssuer) -> None:
    data = ["--data-dir", str(tmp_path)]
    runner.invoke(cli, ["init", *data], env=ENV)
    issuer.tamper = True
    result = runner.invoke(
        cli,
        ["receive", issuer.offer(["hand-tools"]), "--allow-http-loopback", *data],
        env=ENV,
    )
    assert result.exit_code == 1
    assert "rejected" in result.output
