"""Load test of the verifier agent's ``POST /credentials/verify`` on loopback.

Starts the agent in a separate process (``verifier_agent.cli serve``) with 1
and then N uvicorn workers, drives it from this process with an async httpx
client at a fixed concurrency, and prints throughput and p50/p99 latency.

    PYTHONPATH=. .venv/bin/python bench/bench_verifier_http.py --requests 400 --workers 1 4

The rate limit is raised for the run, because every request comes from one
client address.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from vcwork.badges import AchievementSubject, Profile, open_badge_credential
from vcwork.badges.catalog import construction_pre_apprenticeship_catalog
from vcwork.credentials import issue_credential
from vcwork.dates import utcnow
from vcwork.did import create_did_key


def _credential() -> dict[str, Any]:
    key, did = create_did_key()
    _, holder = create_did_key()
    entry = next(
        iter(construction_pre_apprenticeship_catalog(issuer_base="https://p.example"))
    )
    credential = open_badge_credential(
        id=f"urn:uuid:{uuid.uuid4()}",
        issuer=Profile(id=did, name="Program"),
        subject=AchievementSubject(id=holder, achievement=entry.achievement),
        valid_from=utcnow() - timedelta(minutes=1),
    )
    return issue_credential(credential, key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(workers: int, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from verifier_agent.cli import cli; cli()",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--rate-limit",
            "1000000000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the verifier agent did not start within 30 s")


async def _drive(
    url: str, body: bytes, requests: int, concurrency: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(
                "/credentials/verify",
                content=body,
                headers={"content-type": "application/json"},
            )
            latencies.append(time.perf_counter() - started)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    body = json.dumps({"verifiableCredential": _credential()}).encode()
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as data_dir:
            process, url = _start(workers, Path(data_dir))
            try:
                asyncio.run(_drive(url, body, 20, 4))  # warm-up
                elapsed, latencies, failures = asyncio.run(
                    _drive(url, body, args.requests, args.concurrency)
                )
            finally:
                process.terminate()
                process.wait(timeout=30)
        quantiles = statistics.quantiles(latencies, n=100)
        print(
            f"workers={workers} requests={args.requests} concurrency={args.concurrency} "
            f"throughput={args.requests / elapsed:.1f}/s p50={quantiles[49] * 1000:.1f} ms "
            f"p99={quantiles[98] * 1000:.1f} ms non-200={failures}"
        )


if __name__ == "__main__":
    main()
