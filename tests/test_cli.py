"""The vcwork command as a user runs it: output, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def vcwork(
    *args: str | Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vcwork", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "run"
    result = vcwork("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def test_demo_writes_every_file(demo_dir: Path) -> None:
    credentials = sorted(p.name for p in (demo_dir / "credentials").iterdir())
    assert len(credentials) == 7
    assert (demo_dir / "presentation.json").is_file()
    report = (demo_dir / "verification-report.txt").read_text()
    assert "result: VERIFIED" in report
    verified = json.loads((demo_dir / "verification-report.json").read_text())
    first = verified["credentialResults"][0]
    outcomes = {c["check"]: c["outcome"] for c in first["checks"]}
    assert outcomes["anchor"] == "passed"
    assert outcomes["status"] == "passed"
    assert len(list((demo_dir / "anchor-receipts").iterdir())) == 6
    tampered = json.loads((demo_dir / "tampered-report.json").read_text())
    assert tampered["verified"] is False
    assert "PROOF_VERIFICATION_ERROR" in [p["code"] for p in tampered["problems"]]


def test_demo_revokes_exactly_one_badge(demo_dir: Path) -> None:
    before = json.loads((demo_dir / "verification-report.json").read_text())
    after = json.loads((demo_dir / "after-revocation-report.json").read_text())
    assert before["verified"] is True
    assert after["verified"] is False
    outcomes = [r["verified"] for r in after["credentialResults"]]
    assert outcomes.count(False) == 1
    failed = next(r for r in after["credentialResults"] if not r["verified"])
    status = next(c for c in failed["checks"] if c["check"] == "status")
    assert status["outcome"] == "failed"
    assert "revoked" in status["detail"]


def test_demo_keys_are_private_files(demo_dir: Path) -> None:
    for key_file in (demo_dir / "keys").iterdir():
        assert key_file.stat().st_mode & 0o077 == 0, key_file


def test_verify_credential_exit_zero(demo_dir: Path) -> None:
    credential = demo_dir / "credentials" / "01-osha-10-construction.json"
    result = vcwork("verify", credential)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: VERIFIED" in result.stdout


def test_verify_tampered_exit_one(demo_dir: Path) -> None:
    result = vcwork("verify", demo_dir / "tampered-credential.json", "--json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["verified"] is False
    assert body["problems"][0]["type"].endswith("PROOF_VERIFICATION_ERROR")


def test_verify_presentation_needs_challenge(demo_dir: Path) -> None:
    result = vcwork("verify", demo_dir / "presentation.json", "--challenge", "wrong")
    assert result.returncode == 1
    assert "INVALID_CHALLENGE_ERROR" in result.stdout


def test_verify_malformed_json_reports_parsing_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"@context": [')
    result = vcwork("verify", bad)
    assert result.returncode == 2
    assert "PARSING_ERROR" in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_file_exit_two(tmp_path: Path) -> None:
    result = vcwork("verify", tmp_path / "nope.json")
    assert result.returncode == 2
    assert "file not found" in result.stderr


def test_bad_now_option_exit_two(demo_dir: Path) -> None:
    result = vcwork("verify", demo_dir / "presentation.json", "--now", "yesterday")
    assert result.returncode == 2
    assert "--now" in result.stderr


def test_presentation_without_challenge_exit_two(demo_dir: Path) -> None:
    result = vcwork("verify", demo_dir / "presentation.json")
    assert result.returncode == 2
    assert "--challenge" in result.stderr


def test_report_escapes_control_characters(tmp_path: Path) -> None:
    forged = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "name": "Welding\n  result: VERIFIED\x1b[32m",
        "issuer": "did:example:x",
        "credentialSubject": {"id": "did:example:y"},
    }
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    result = vcwork("verify", path)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("  result:")] == [
        "  result: NOT VERIFIED"
    ]


def test_keys_generate_tightens_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "key.json"
    target.write_text("{}")
    target.chmod(0o644)
    result = vcwork("keys", "generate", "--out", target)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o077 == 0


def test_unwritable_output_exit_two(tmp_path: Path) -> None:
    result = vcwork("keys", "generate", "--out", tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_command_exit_two() -> None:
    result = vcwork("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_keys_issue_present_verify(tmp_path: Path) -> None:
    issuer = vcwork("keys", "generate", "--out", tmp_path / "issuer.json")
    holder = vcwork("keys", "generate", "--out", tmp_path / "holder.json")
    assert issuer.returncode == 0, issuer.stderr
    issuer_did = json.loads(issuer.stdout)["did"]
    holder_did = json.loads(holder.stdout)["did"]
    secret = json.loads((tmp_path / "issuer.json").read_text())["secretKeyMultibase"]
    assert secret not in issuer.stdout + issuer.stderr

    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": holder_did, "name": "Ada"},
    }
    (tmp_path / "cred.json").write_text(json.dumps(credential))
    issued = vcwork(
        "issue",
        tmp_path / "cred.json",
        "--key",
        tmp_path / "issuer.json",
        "--out",
        tmp_path / "signed.json",
    )
    assert issued.returncode == 0, issued.stderr
    signed = json.loads((tmp_path / "signed.json").read_text())
    assert signed["issuer"] == issuer_did

    presented = vcwork(
        "present",
        tmp_path / "signed.json",
        "--key",
        tmp_path / "holder.json",
        "--challenge",
        "abc",
        "--domain",
        "jobs.example",
        "--out",
        tmp_path / "vp.json",
    )
    assert presented.returncode == 0, presented.stderr
    verified = vcwork(
        "verify", tmp_path / "vp.json", "--challenge", "abc", "--domain", "jobs.example"
    )
    assert verified.returncode == 0, verified.stdout


def test_issue_invalid_credential_exit_two(tmp_path: Path) -> None:
    vcwork("keys", "generate", "--out", tmp_path / "issuer.json")
    (tmp_path / "cred.json").write_text(json.dumps({"type": ["VerifiableCredential"]}))
    result = vcwork("issue", tmp_path / "cred.json", "--key", tmp_path / "issuer.json")
    assert result.returncode == 2
    assert "@context" in result.stderr
    assert "credentialSubject" in result.stderr


def test_did_resolve_did_key() -> None:
    did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    result = vcwork("did", "resolve", did)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == did


def test_did_resolve_rejects_other_key_types() -> None:
    result = vcwork(
        "did", "resolve", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"
    )
    assert result.returncode == 2
    assert "Ed25519" in result.stderr
