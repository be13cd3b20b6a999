"""Start the issuer agent, the wallet and the verifier agent as child processes.

Each service runs as ``python -m vcwork <service> serve`` on 127.0.0.1 with
its SQLite database in one data directory, and writes its log to
``logs/<service>.log`` there. The library itself never imports the services;
it only starts them and talks HTTP with them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from ..did import url_to_did_web
from ..errors import VcworkError

__all__ = [
    "PROGRAM_NAME",
    "Ports",
    "ServiceProcess",
    "System",
    "SystemLayout",
    "SystemRunError",
    "create_staff_api_key",
]

logger = logging.getLogger(__name__)

PROGRAM_NAME = "Construction Pre-Apprenticeship Program"
# uvicorn finishes open requests and the lifespan shutdown within this time.
STOP_TIMEOUT_SECONDS = 10.0
# The first start creates keys and seeds the catalog; a slow machine needs a
# few seconds for that and for importing the web stack.
START_TIMEOUT_SECONDS = 60.0


class SystemRunError(VcworkError):
    """A service failed to start, stopped early, or a port is unusable."""

    code = "SYSTEM_ERROR"
    title = "The services could not run"


@dataclass(frozen=True, kw_only=True)
class Ports:
    """TCP ports on 127.0.0.1 for the three services."""

    issuer: int = 8001
    wallet: int = 8002
    verifier: int = 8003

    def check(self) -> None:
        """Raise :class:`SystemRunError` when a port is repeated, out of range or in use."""
        named = {
            "issuer": self.issuer,
            "wallet": self.wallet,
            "verifier": self.verifier,
        }
        if len(set(named.values())) != len(named):
            raise SystemRunError(
                f"the three services need different ports, got {named}"
            )
        for name, port in named.items():
            if not 1 <= port <= 65535:
                raise SystemRunError(f"the {name} port must be 1 to 65535, got {port}")
            if not port_is_free(port):
                raise SystemRunError(
                    f"port {port} on 127.0.0.1 is in use, so the {name} cannot start; "
                    f"stop what uses it or pass --{name}-port with a free port"
                )


def port_is_free(port: int) -> bool:
    """Return whether a TCP server could bind ``127.0.0.1:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn does, so connections in TIME_WAIT from an earlier run do
        # not count as a server on the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class SystemLayout:
    """The paths of each service's files inside one data directory."""

    data_dir: Path

    @property
    def issuer_dir(self) -> Path:
        return self.data_dir / "issuer"

    @property
    def wallet_dir(self) -> Path:
        return self.data_dir / "wallet"

    @property
    def verifier_dir(self) -> Path:
        return self.data_dir / "verifier"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def demo_dir(self) -> Path:
        """Files the demo story writes: credentials, receipts, result pages, report."""
        return self.data_dir / "demo"

    @property
    def trust_list(self) -> Path:
        return self.verifier_dir / "trust-list.json"


@dataclass
class ServiceProcess:
    """One service: its start command, its URL and its running process."""

    name: str
    command: Sequence[str]
    url: str
    health_path: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # A new session keeps a terminal's Ctrl-C away from the children, so
        # the parent stops them in order and waits for each.
        self.process = subprocess.Popen(
            list(self.command),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        logger.debug("started %s as process %d", self.name, self.process.pid)

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def signal_stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, deadline: float) -> None:
        """Wait for the process until ``deadline`` (monotonic), then kill it."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in time; killing it", self.name)
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _python_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "vcwork", *arguments]


def create_staff_api_key(layout: SystemLayout, *, name: str) -> str:
    """Create a staff API key with the issuer agent's own CLI and return it.

    This is what a program administrator does once before using the staff
    routes; the key's SHA-256 digest is stored in the issuer's database.
    """
    layout.issuer_dir.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        _python_command(
            "issuer",
            "create-api-key",
            "--name",
            name,
            "--data-dir",
            str(layout.issuer_dir),
        ),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )
    key = completed.stdout.strip()
    if completed.returncode != 0 or not key:
        raise SystemRunError(
            f"creating a staff API key failed (exit code {completed.returncode}): "
            f"{completed.stderr.strip()[-500:]}"
        )
    return key


class System:
    """The issuer agent, the wallet and the verifier agent on loopback.

    The issuer is reached as ``http://localhost:PORT`` because its did:web DID
    (``did:web:localhost%3APORT``) cannot name an IP address; the wallet and
    the verifier are reached as ``http://127.0.0.1:PORT``. Both fetch DID
    documents, status lists, anchor receipts and share links over plain http
    on loopback only (their ``--allow-http-loopback`` option).
    ``status_list_max_age`` is the issuer's ``Cache-Control`` max-age for
    status lists in seconds; 0 lets a verifier see a revocation at once.
    """

    def __init__(
        self,
        layout: SystemLayout,
        *,
        ports: Ports | None = None,
        status_list_max_age: int = 0,
    ) -> None:
        self.layout = layout
        self.ports = ports or Ports()
        self.issuer_url = f"http://localhost:{self.ports.issuer}"
        self.wallet_url = f"http://127.0.0.1:{self.ports.wallet}"
        self.verifier_url = f"http://127.0.0.1:{self.ports.verifier}"
        self.issuer_did = url_to_did_web(self.issuer_url)
        logs = layout.logs_dir
        self.services = [
            ServiceProcess(
                name="issuer",
                command=_python_command(
                    "issuer",
                    "serve",
                    "--data-dir",
                    str(layout.issuer_dir),
                    "--port",
                    str(self.ports.issuer),
                    "--status-list-max-age",
                    str(status_list_max_age),
                ),
                url=self.issuer_url,
                health_path="/.well-known/did.json",
                log_path=logs / "issuer.log",
            ),
            ServiceProcess(
                name="wallet",
                command=_python_command(
                    "wallet",
                    "serve",
                    "--data-dir",
                    str(layout.wallet_dir),
                    "--port",
                    str(self.ports.wallet),
                    "--verifier-url",
                    f"{self.verifier_url}/share",
                    "--allow-http-loopback",
                ),
                url=self.wallet_url,
                health_path="/healthz",
                log_path=logs / "wallet.log",
            ),
            ServiceProcess(
                name="verifier",
                command=_python_command(
                    "verifier",
                    "serve",
                    "--data-dir",
                    str(layout.verifier_dir),
                    "--port",
                    str(self.ports.verifier),
                    "--trust-list",
                    str(layout.trust_list),
                    "--allow-http-loopback",
                ),
                url=self.verifier_url,
                health_path="/healthz",
                log_path=logs / "verifier.log",
            ),
        ]

    def write_trust_list(self) -> Path:
        """Write the verifier's trust list: the issuer agent's DID as a known program."""
        self.layout.verifier_dir.mkdir(parents=True, exist_ok=True)
        trust = {
            "issuers": [
                {"id": self.issuer_did, "name": PROGRAM_NAME, "url": self.issuer_url}
            ]
        }
        self.layout.trust_list.write_text(json.dumps(trust, indent=2) + "\n", "utf-8")
        return self.layout.trust_list

    def start(self, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start every service and wait until each responds on its health route.

        Raises :class:`SystemRunError` with the tail of the service's log when one
        exits or does not respond within ``timeout`` seconds. The services
        already started are stopped first.
        """
        self.ports.check()
        for directory in (
            self.layout.issuer_dir,
            self.layout.wallet_dir,
            self.layout.verifier_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)
        self.write_trust_list()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            for service in self.services:
                service.start(env)
            deadline = time.monotonic() + timeout
            for service in self.services:
                self._wait_ready(service, deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, service: ServiceProcess, deadline: float) -> None:
        url = service.url + service.health_path
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = service.exit_code()
                if code is not None:
                    raise SystemRunError(
                        f"the {service.name} exited with code {code} while starting; "
                        f"the end of {service.log_path}:\n{service.log_tail()}"
                    )
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemRunError(
                        f"the {service.name} did not respond at {url} in time; the end "
                        f"of {service.log_path}:\n{service.log_tail()}"
                    )
                time.sleep(0.2)

    def check_running(self) -> None:
        """Raise :class:`SystemRunError` when a service has exited."""
        for service in self.services:
            code = service.exit_code()
            if code is not None:
                raise SystemRunError(
                    f"the {service.name} stopped with exit code {code}; the end of "
                    f"{service.log_path}:\n{service.log_tail()}"
                )

    def stop(self, *, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Send SIGTERM to every service, wait up to ``timeout`` seconds, then kill."""
        for service in self.services:
            service.signal_stop()
        deadline = time.monotonic() + timeout
        for service in self.services:
            service.wait_stopped(deadline)

    def __enter__(self) -> System:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
