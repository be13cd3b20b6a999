"""Benchmark ledger anchoring at the scale of 100,000 credentials.

Usage (from the repository root)::

    .venv/bin/python bench/bench_anchoring.py [--count 100000] [--output FILE]

Measures, on one core (the script is single-threaded):

1. the time and peak Python heap (``tracemalloc``) to build one batch's
   RFC 9162 Merkle tree from ``count`` credential digests and compute every
   inclusion path;
2. the proof size: inclusion path elements and bytes, and a whole JSON
   receipt with its embedded-log ledger record;
3. the time to verify one inclusion path, next to one raw Ed25519 signature
   verification and one full eddsa-rdfc-2022 credential proof verification;
4. the ledger writes for ``count`` credentials through :class:`AnchorBatcher`
   with a batch size of ``count`` and the embedded log on a temporary SQLite
   file, with the time of queueing and of closing the batch.

The digests in step 1 are random bytes. Step 4 queues small unsigned
credential objects, because the digest (JCS + SHA-256) does not depend on
whether a proof inside is valid. Signing 100,000 credentials would only time
the signer. The result is a markdown report on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from vcwork.anchoring import AnchorBatcher, AnchorLog, MerkleTree, sqlite_url
from vcwork.anchoring.merkle import hash_leaf, verify_inclusion
from vcwork.credentials import issue_credential, verify_credential
from vcwork.did import create_did_key


def _median_seconds(operation: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _per_call_seconds(operation: Callable[[], object], calls: int) -> float:
    """Return the median per-call time of 5 rounds of ``calls`` calls."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            operation()
        rounds.append((time.perf_counter() - started) / calls)
    return statistics.median(rounds)


def bench_batch(count: int) -> dict[str, Any]:
    digests = [os.urandom(32) for _ in range(count)]

    def build() -> tuple[MerkleTree, list[list[bytes]]]:
        tree = MerkleTree([hash_leaf(d) for d in digests])
        return tree, tree.inclusion_proofs()

    build()  # warm-up
    seconds = _median_seconds(build, 3)
    tracemalloc.start()
    tree, paths = build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    index = count // 3
    leaf = hash_leaf(digests[index])
    path = paths[index]
    assert verify_inclusion(index, count, leaf, path, tree.root_hash)
    verify_seconds = _per_call_seconds(
        lambda: verify_inclusion(index, count, leaf, path, tree.root_hash), 2000
    )
    return {
        "build_seconds": seconds,
        "peak_bytes": peak,
        "path_elements": len(path),
        "path_bytes": 32 * len(path),
        "verify_seconds": verify_seconds,
    }


def bench_signatures() -> dict[str, float]:
    key, did = create_did_key()
    message = os.urandom(200)
    signature = key.sign(message)
    public = key.public
    raw = _per_call_seconds(lambda: public.verify(signature, message), 2000)
    credential = issue_credential(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:2b7d1c1e-6a53-4a8e-9d0b-7d0f7c1d5e01",
            "type": ["VerifiableCredential"],
            "issuer": did,
            "validFrom": "2026-05-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:participant", "name": "Bench"},
        },
        key,
        cryptosuite="eddsa-rdfc-2022",
    )
    full = _per_call_seconds(lambda: verify_credential(credential), 30)
    return {"ed25519_seconds": raw, "credential_seconds": full}


def bench_ledger(count: int) -> dict[str, Any]:
    key, did = create_did_key()
    credentials = [
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            "type": ["VerifiableCredential"],
            "issuer": did,
            "credentialSubject": {"id": f"did:example:{n}"},
        }
        for n in range(count)
    ]
    with tempfile.TemporaryDirectory() as directory:
        url = sqlite_url(Path(directory) / "anchors.db")
        log = AnchorLog(url, key_pair=key)
        batcher = AnchorBatcher(url, log, max_batch_size=count)
        started = time.perf_counter()
        batcher.add_many(credentials)
        queued = time.perf_counter()
        batches = batcher.close_due()
        closed = time.perf_counter()
        receipt = batcher.receipt(credentials[count // 3])
        writes = log.tree_size
        log._engine.dispose()  # release the file before the directory goes
        batcher._engine.dispose()
    return {
        "writes": writes,
        "batches": len(batches),
        "queue_seconds": queued - started,
        "close_seconds": closed - queued,
        "receipt_bytes": len(json.dumps(receipt, separators=(",", ":"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, default=100_000, help="Credentials per batch."
    )
    parser.add_argument(
        "--output", type=Path, help="Also write the report to this file."
    )
    options = parser.parse_args()

    batch = bench_batch(options.count)
    signatures = bench_signatures()
    ledger = bench_ledger(options.count)
    verify_us = batch["verify_seconds"] * 1e6
    lines = [
        f"Anchoring {options.count:,} credentials, {date.today().isoformat()}, "
        f"Python {platform.python_version()} on {platform.machine()} "
        f"({platform.processor() or 'unknown CPU'}), one core.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| build the batch tree and all inclusion paths | {batch['build_seconds']:.2f} s |",
        f"| peak Python heap while building | {batch['peak_bytes'] / 2**20:.0f} MiB |",
        f"| inclusion path | {batch['path_elements']} hashes, {batch['path_bytes']} bytes |",
        f"| JSON receipt with embedded-log record | {ledger['receipt_bytes']:,} bytes |",
        f"| verify one inclusion path | {verify_us:.1f} µs |",
        f"| verify one raw Ed25519 signature | {signatures['ed25519_seconds'] * 1e6:.1f} µs |",
        f"| verify one credential (eddsa-rdfc-2022, whole pipeline) | "
        f"{signatures['credential_seconds'] * 1e3:.2f} ms |",
        f"| inclusion path / credential verification | "
        f"{100 * batch['verify_seconds'] / signatures['credential_seconds']:.2f} % |",
        f"| inclusion path / raw Ed25519 verification | "
        f"{100 * batch['verify_seconds'] / signatures['ed25519_seconds']:.0f} % |",
        f"| ledger writes for {options.count:,} credentials | {ledger['writes']} |",
        f"| queue {options.count:,} credentials (JCS digest + SQLite) | "
        f"{ledger['queue_seconds']:.2f} s |",
        f"| close the batch (seal, log append, signed tree head) | "
        f"{ledger['close_seconds']:.2f} s |",
    ]
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    if options.output is not None:
        options.output.write_text(report + "\n", "utf-8")


if __name__ == "__main__":
    main()
