"""Benchmark Bitstring Status List checks, decoding and bulk revocation.

Usage (from the repository root)::

    .venv/bin/python bench/bench_status.py

Measures, on one SQLite file in a temporary folder:

1. checking the status of 10,000 credentials that share one list (one fetch);
2. decoding one 131,072-entry ``encodedList`` with 1,000 bits set;
3. revoking 1,000 credentials in one batch, with the list re-signed once
   (time, and peak Python memory from ``tracemalloc``);
4. one status check on a cached list next to one ``eddsa-rdfc-2022``
   signature verification (``vcwork.proofs.verify``); the target is a ratio
   under 5 %.

Times are medians of several runs. Prints a markdown table.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vcwork.credentials import issue_credential
from vcwork.did import DidResolver, create_did_key
from vcwork.proofs import verify
from vcwork.status import (
    BitstringStatusListChecker,
    FetchResponse,
    StatusListStore,
    decode_encoded_list,
    sqlite_url,
)

CREDENTIALS = 10_000
BATCH = 1_000


def median_seconds(action: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    key_pair, did = create_did_key()
    folder = Path(tempfile.mkdtemp(prefix="vcwork-bench-status-"))
    store = StatusListStore(
        sqlite_url(folder / "status.db"),
        list_base_url="https://issuer.test/status",
        key_pair=key_pair,
    )
    entries = [store.allocate(f"urn:uuid:{i}").to_json() for i in range(CREDENTIALS)]
    url = entries[0]["statusListCredential"]
    fetches: list[str] = []

    def fetcher(list_url: str) -> FetchResponse:
        fetches.append(list_url)
        document = store.status_list_credential(list_url)
        return FetchResponse(json.dumps(document).encode())

    holders = [{"issuer": did, "credentialStatus": entry} for entry in entries]

    # 1. 10,000 checks on one list, starting from an empty cache.
    def check_all() -> None:
        checker = BitstringStatusListChecker(fetcher=fetcher, resolver=DidResolver())
        for holder in holders:
            checker(holder)

    fetches.clear()
    check_all()
    fetch_count = len(fetches)
    check_all_seconds = median_seconds(check_all, 3)

    # 3. Revoke 1,000 credentials in one batch and re-sign the list once.
    tracemalloc.start()
    start = time.perf_counter()
    change = store.revoke_many(f"urn:uuid:{i}" for i in range(BATCH))
    revoke_seconds = time.perf_counter() - start
    _, revoke_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # 2. Decode a 131,072-entry list with 1,000 bits set.
    encoded = change.status_list_credentials[url]["credentialSubject"]["encodedList"]
    decode_seconds = median_seconds(lambda: decode_encoded_list(encoded), 50)

    # 4. One cached status check next to one signature verification.
    checker = BitstringStatusListChecker(fetcher=fetcher, resolver=DidResolver())
    checker(holders[0])
    cached_seconds = median_seconds(lambda: checker(holders[1]), 2000)
    signed = issue_credential(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": did,
            "credentialSubject": {"id": "did:example:learner"},
        },
        key_pair,
    )
    resolver = DidResolver()
    verify_seconds = median_seconds(lambda: verify(signed, resolver=resolver), 50)

    rows = [
        (
            f"status check, {CREDENTIALS:,} credentials on one list",
            f"{check_all_seconds * 1000:.1f} ms total, "
            f"{check_all_seconds / CREDENTIALS * 1e6:.1f} µs each, "
            f"{fetch_count} fetch",
        ),
        ("decode a 131,072-entry list", f"{decode_seconds * 1000:.3f} ms"),
        (
            f"revoke {BATCH:,} in one batch + re-sign once",
            f"{revoke_seconds * 1000:.1f} ms, peak {revoke_peak / 1e6:.1f} MB (tracemalloc)",
        ),
        ("status check, cached list", f"{cached_seconds * 1e6:.1f} µs"),
        ("eddsa-rdfc-2022 signature verification", f"{verify_seconds * 1000:.2f} ms"),
        (
            "cached check / signature verification",
            f"{cached_seconds / verify_seconds * 100:.2f} % (target < 5 %)",
        ),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print()
    print("| measurement | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    store.close()


if __name__ == "__main__":
    main()
