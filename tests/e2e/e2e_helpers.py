"""Helpers of the end-to-end tests: free ports and the ``vcwork up`` command."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from vcwork.system import Ports


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now (a tiny race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def up_command(data_dir: Path, ports: Ports, *extra: str) -> list[str]:
    """Return the ``vcwork up`` command line for ``data_dir`` and ``ports``."""
    return [
        sys.executable,
        "-m",
        "vcwork.system.cli",
        "--data-dir",
        str(data_dir),
        "--issuer-port",
        str(ports.issuer),
        "--wallet-port",
        str(ports.wallet),
        "--verifier-port",
        str(ports.verifier),
        *extra,
    ]


def free_ports() -> Ports:
    """Return three different free ports for the services."""
    chosen: set[int] = set()
    while len(chosen) < 3:
        chosen.add(free_port())
    issuer, wallet, verifier = sorted(chosen)
    return Ports(issuer=issuer, wallet=wallet, verifier=verifier)
