"""``vcwork up``: the three services in child processes, the demo story, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from e2e_helpers import up_command

from vcwork.system import Ports, parse_result_page
from vcwork.system.up import port_is_free

STORY_TIMEOUT_SECONDS = 240


def _run_demo(data_dir: Path, ports: Ports) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        up_command(data_dir, ports, "--demo", "--exit-after-demo"),
        capture_output=True,
        text=True,
        timeout=STORY_TIMEOUT_SECONDS,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def test_demo_story_runs_to_the_end(tmp_path: Path, ports: Ports) -> None:
    data_dir = tmp_path / "vcwork-data"
    completed = _run_demo(data_dir, ports)
    output = completed.stdout
    assert completed.returncode == 0, output + completed.stderr

    assert f"http://localhost:{ports.issuer}/" in output
    assert f"did:web:localhost%3A{ports.issuer}" in output
    assert f"http://127.0.0.1:{ports.wallet}/" in output
    assert f"http://127.0.0.1:{ports.verifier}/" in output
    assert "receives her 6 badges over OpenID4VCI" in output
    assert "verdict: verified" in output
    assert "the employer sees 'Hand Tool Proficiency' revoked" in output
    assert "stopped; the data stays in" in output

    demo = data_dir / "demo"
    first = parse_result_page((demo / "result-first.html").read_text("utf-8"))
    assert first.verdict == "verified"
    assert len(first.credentials) == 6
    for name, checks in first.credentials.items():
        assert set(checks.values()) == {"passed"}, name

    second = parse_result_page(
        (demo / "result-after-revocation.html").read_text("utf-8")
    )
    assert second.verdict == "failed"
    assert second.credentials["Hand Tool Proficiency"]["Revocation status"] == "failed"
    assert (
        second.credentials["OSHA 10-Hour Construction Safety"]["Revocation status"]
        == "passed"
    )

    shared = parse_result_page((demo / "result-share.html").read_text("utf-8"))
    assert shared.verdict == "verified"
    assert "Construction Pre-Apprenticeship Certificate" in shared.credentials

    receipts = sorted((demo / "anchor-receipts").glob("*.json"))
    assert len(receipts) == 6
    assert (demo / "outcomes" / "synthetic" / "outcomes-report.html").is_file()
    assert (demo / "outcomes" / "live-cohort-report.html").is_file()
    assert (demo / "staff-api-key.txt").stat().st_mode & 0o077 == 0
    catalog = json.loads((demo / "catalog.json").read_text("utf-8"))
    assert len(catalog["achievements"]) == 6

    for port in (ports.issuer, ports.wallet, ports.verifier):
        assert port_is_free(port), f"port {port} is still served after the demo"


def test_demo_reruns_on_same_data_dir(tmp_path: Path, ports: Ports) -> None:
    data_dir = tmp_path / "vcwork-data"
    first = _run_demo(data_dir, ports)
    assert first.returncode == 0, first.stdout + first.stderr

    second = _run_demo(data_dir, ports)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "unlocked the wallet" in second.stdout


def test_up_stops_services_on_ctrl_c(tmp_path: Path, ports: Ports) -> None:
    process = subprocess.Popen(
        up_command(tmp_path / "data", ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "press Ctrl-C" in line or "error:" in line:
            break
    assert any("press Ctrl-C" in line for line in lines), "".join(lines)

    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)

    assert process.returncode == 0, "".join(lines) + rest
    assert "stopping the services" in rest
    for port in (ports.issuer, ports.wallet, ports.verifier):
        assert port_is_free(port), f"port {port} is still served after Ctrl-C"


def test_up_reports_port_in_use(tmp_path: Path, ports: Ports) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", ports.wallet))
        server.listen()
        completed = subprocess.run(
            up_command(tmp_path / "data", ports),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 1
    assert f"port {ports.wallet} on 127.0.0.1 is in use" in completed.stdout
    assert "--wallet-port" in completed.stdout
