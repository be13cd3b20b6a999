"""A local EVM node (anvil) on 127.0.0.1 for tests outside ``tests/anchoring``.

anvil comes from the npm package pinned in ``tests/anchoring/evm``. When its
``node_modules`` is missing, :func:`anvil_binary` runs ``npm ci`` there. The
functions call ``pytest.skip`` without node or npm, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

__all__ = [
    "ANVIL_CHAIN_ID",
    "anvil_binary",
    "fund_account",
    "start_anvil",
    "stop_process_group",
    "wait_for_port",
]

EVM_DIR = Path(__file__).resolve().parent / "anchoring" / "evm"
ANVIL_CHAIN_ID = 31337
NPM_CI_TIMEOUT_SECONDS = 600
# Only stops a process that never starts listening; no test measures time.
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is not on PATH; the EVM tests need Node.js 20 or later and npm "
            "to install and run anvil"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def anvil_binary() -> Path:
    """Return the pinned anvil launcher, running ``npm ci`` first when it is missing."""
    _require_tool("node")
    binary = EVM_DIR / "node_modules" / ".bin" / "anvil"
    if binary.exists():
        return binary
    npm = _require_tool("npm")
    try:
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=EVM_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"npm ci in tests/anchoring/evm timed out after {NPM_CI_TIMEOUT_SECONDS} s",
            pytrace=False,
        )
    if completed.returncode != 0 or not binary.exists():
        pytest.fail(
            f"npm ci in tests/anchoring/evm failed (exit status "
            f"{completed.returncode}) or installed no anvil binary:\n"
            f"{completed.stdout}\n{completed.stderr}",
            pytrace=False,
        )
    return binary


def start_anvil(port: int) -> subprocess.Popen[bytes]:
    """Start anvil on ``127.0.0.1:port`` in a new session and wait until it listens.

    Stop it with :func:`stop_process_group`: ``.bin/anvil`` is a Node wrapper
    that runs the platform binary as a child, and the session contains both.
    """
    process = subprocess.Popen(
        [
            str(anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(ANVIL_CHAIN_ID),
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(process, port, name="anvil")
    except BaseException:
        stop_process_group(process)
        raise
    return process


def wait_for_port(
    process: subprocess.Popen[bytes],
    port: int,
    *,
    name: str,
    timeout: float = START_TIMEOUT_SECONDS,
) -> None:
    """Wait until ``127.0.0.1:port`` accepts connections; fail if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{name} exited with status {process.returncode} before listening "
                f"on 127.0.0.1:{port}",
                pytrace=False,
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"{name} did not listen on 127.0.0.1:{port} within {timeout} s", pytrace=False
    )


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Send SIGTERM to the process's group, then SIGKILL to what is left after a grace period.

    ``process`` must lead its own group (``start_new_session=True``), so the
    group contains its children too, such as uvicorn's worker processes.
    """
    group = process.pid
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        process.wait()
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None and not _group_alive(group):
            return
        time.sleep(0.1)
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def fund_account(web3: object, address: str, *, wei: int = 10**20) -> None:
    """Set the balance of ``address`` on anvil with its ``anvil_setBalance`` method."""
    response = web3.provider.make_request("anvil_setBalance", [address, hex(wei)])  # type: ignore[attr-defined]
    if "error" in response:
        pytest.fail(f"anvil_setBalance failed: {response['error']}", pytrace=False)
