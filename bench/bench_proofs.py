"""Benchmark Data Integrity sign and verify: vcwork next to the reference JS stack.

Usage (from the repository root, after ``npm ci --prefix tests/interop``)::

    .venv/bin/python bench/bench_proofs.py [--seconds 2] [--output FILE]

There are two input documents: the Open Badges 3.0 credential from the interop
fixtures, and a CLR-like bundle of 20 achievement credentials built below. For
each of them and each cryptosuite, the script times ``vcwork.proofs.sign`` and
``verify`` and the same operation in Digital Bazaar's JavaScript stack
(``bench_reference.mjs``). Both sides verify the same signed document, which
vcwork signs once before the timed runs.

Every measurement runs in its own subprocess. Throughput is operations per
second after a few untimed warm-up runs. Peak memory is that subprocess's
``ru_maxrss`` from ``os.wait4``, so it includes the interpreter and the
imported libraries, which the ``baseline`` row shows alone.

Finally it times a cold ``vcwork verify FILE`` process against a cold
``node tests/interop/reference.mjs`` verify of the same file. The result is a
markdown report on stdout (and in ``--output``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
INTEROP_DIR = REPOSITORY / "tests" / "interop"
FIXTURES_DIR = INTEROP_DIR / "fixtures"
REFERENCE_BENCH = Path(__file__).resolve().parent / "bench_reference.mjs"
REFERENCE_CLI = INTEROP_DIR / "reference.mjs"

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
CREATED = "2024-03-15T09:00:00Z"
LARGE_ACHIEVEMENT_COUNT = 20
COLD_RUNS = 5
# Only stops a hung worker, because a normal case takes --seconds plus start-up.
WORKER_TIMEOUT_SECONDS = 600


# -- input documents -----------------------------------------------------------


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text("utf-8"))


def build_clr_bundle(
    credential: dict[str, Any], count: int = LARGE_ACHIEVEMENT_COUNT
) -> dict[str, Any]:
    """Build a CLR 2.0-like ``ClrCredential`` carrying ``count`` achievements.

    Each entry of ``credentialSubject.verifiableCredential`` is a copy of the
    Open Badges credential with its own id, achievement id, name and results.
    NOTE: the embedded credentials carry no proofs of their own, unlike a CLR
    issued in practice, so the size is about ``count`` times the OB credential.
    """
    holder = credential["credentialSubject"]["id"]
    embedded = []
    for index in range(1, count + 1):
        entry = copy.deepcopy(credential)
        entry["@context"] = credential["@context"][:]
        entry["id"] = f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
        entry["type"] = ["VerifiableCredential", "AchievementCredential"]
        achievement = entry["credentialSubject"]["achievement"]
        achievement["id"] = f"{achievement['id']}-module-{index}"
        achievement["name"] = f"{achievement['name']}, module {index}"
        for result_description in achievement["resultDescription"]:
            result_description["id"] = f"{result_description['id']}-{index}"
        for result in entry["credentialSubject"]["result"]:
            result["resultDescription"] = f"{result['resultDescription']}-{index}"
        embedded.append(entry)
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7e0c4b2a-9d13-4f6e-8a25-3c1b0d9e4f60",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": "Warehouse Operations Pathway record",
        "issuer": credential["issuer"],
        "validFrom": credential["validFrom"],
        "credentialSubject": {
            "id": holder,
            "type": ["ClrSubject"],
            "verifiableCredential": embedded,
        },
    }


def document_for_suite(document: dict[str, Any], suite: str) -> dict[str, Any]:
    """Return ``document``, with the suite context added for Ed25519Signature2020."""
    if suite != "Ed25519Signature2020":
        return document
    prepared = copy.deepcopy(document)
    prepared["@context"] = [*prepared["@context"], ED25519_2020_CONTEXT]
    return prepared


# -- the Python worker (runs in a subprocess) -----------------------------------


def run_worker(request: dict[str, Any]) -> dict[str, Any]:
    """Time one operation of ``vcwork.proofs``. The parent reads the peak RSS."""
    from vcwork.did import DidResolver
    from vcwork.keys import Ed25519KeyPair
    from vcwork.proofs import sign, verify

    operation = request["op"]
    document = request["document"]
    suite = request["suite"]
    if operation == "baseline":
        return {"iterations": 0, "seconds": 0.0, "opsPerSecond": 0.0}

    if operation == "sign":
        key_pair = Ed25519KeyPair.from_multikey(request["keyPair"])

        def run_once() -> None:
            signed = sign(document, key_pair, cryptosuite=suite, created=CREATED)
            if "proof" not in signed:
                raise RuntimeError("vcwork returned a document without a proof")

    elif operation == "verify":
        resolver = DidResolver()

        def run_once() -> None:
            result = verify(document, resolver=resolver)
            if not result.verified:
                raise RuntimeError(f"vcwork did not verify the input: {result}")

    else:
        raise ValueError(f"unknown op {operation!r}, expected sign, verify or baseline")

    # Warm-up runs load the contexts and fill caches, and they are not timed.
    for _ in range(request.get("warmupIterations", 3)):
        run_once()
    iterations = 0
    start = time.perf_counter()
    elapsed = 0.0
    while iterations < request.get("minIterations", 5) or elapsed < request["seconds"]:
        run_once()
        iterations += 1
        elapsed = time.perf_counter() - start
    return {
        "iterations": iterations,
        "seconds": elapsed,
        "opsPerSecond": iterations / elapsed,
    }


# -- running measurements -------------------------------------------------------


@dataclass
class Measurement:
    ops_per_second: float | None
    peak_rss_mib: float | None
    error: str | None = None


def max_rss_mib(rusage: Any) -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return float(rusage.ru_maxrss) / divisor


def run_measured(
    command: list[str], stdin_text: str, *, cwd: Path = REPOSITORY
) -> tuple[int, str, str, float, float]:
    """Run ``command``, returning exit status, stdout, stderr, seconds, peak MiB."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        with tempfile.TemporaryFile() as stdin:
            stdin.write(stdin_text.encode("utf-8"))
            stdin.seek(0)
            start = time.perf_counter()
            process = subprocess.Popen(
                command, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd
            )
            # os.wait4 blocks until exit and returns the child's own resource
            # usage. The timer only stops a hung process.
            killer = threading.Timer(WORKER_TIMEOUT_SECONDS, process.kill)
            killer.start()
            try:
                _, status, rusage = os.wait4(process.pid, 0)
            finally:
                killer.cancel()
            wall = time.perf_counter() - start
            # Popen must not wait for a process that wait4 already reaped.
            process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        return (
            process.returncode,
            stdout.read().decode("utf-8", "replace"),
            stderr.read().decode("utf-8", "replace"),
            wall,
            max_rss_mib(rusage),
        )


def measure(command: list[str], request: dict[str, Any]) -> Measurement:
    status, stdout, stderr, _, peak = run_measured(command, json.dumps(request))
    if status != 0:
        last_line = (stderr.strip().splitlines() or ["no output"])[-1]
        return Measurement(None, peak, f"exit status {status}: {last_line}")
    result = json.loads(stdout)
    return Measurement(result["opsPerSecond"], peak)


def python_command() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker"]


def node_command() -> list[str] | None:
    node = shutil.which("node")
    if node is None or not (INTEROP_DIR / "node_modules").is_dir():
        return None
    return [node, str(REFERENCE_BENCH)]


def sign_inputs(
    documents: dict[str, dict[str, Any]], key: dict[str, Any]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Sign every (document, suite) pair once with vcwork, in this process."""
    from vcwork.keys import Ed25519KeyPair
    from vcwork.proofs import sign

    key_pair = Ed25519KeyPair.from_multikey(key)
    signed = {}
    for name, document in documents.items():
        for suite in SUITES:
            prepared = document_for_suite(document, suite)
            signed[name, suite] = sign(
                prepared, key_pair, cryptosuite=suite, created=CREATED
            )
    return signed


# -- cold command line runs -----------------------------------------------------


def find_vcwork_cli() -> str | None:
    found = shutil.which("vcwork")
    if found:
        return found
    beside_interpreter = Path(sys.executable).parent / "vcwork"
    return str(beside_interpreter) if beside_interpreter.exists() else None


def time_cold_runs(command: list[str], stdin_text: str) -> tuple[float, float, str]:
    """Return the median wall seconds and maximum peak MiB of ``COLD_RUNS`` runs."""
    walls = []
    peaks = []
    for _ in range(COLD_RUNS):
        status, stdout, stderr, wall, peak = run_measured(command, stdin_text)
        if status != 0:
            detail = (stderr.strip() or stdout.strip()).splitlines()
            return 0.0, 0.0, f"exit status {status}: {(detail or [''])[-1]}"
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks), ""


def cold_rows(signed_file: Path, signed: dict[str, Any]) -> list[str]:
    rows = []
    cli = find_vcwork_cli()
    if cli is None:
        rows.append("| `vcwork verify FILE` | skipped: `vcwork` is not installed | | |")
    else:
        wall, peak, error = time_cold_runs([cli, "verify", str(signed_file)], "")
        if error:
            rows.append(f"| `vcwork verify FILE` | failed: {error} | | |")
        else:
            rows.append(f"| `vcwork verify FILE` | {wall * 1000:.0f} ms | {peak:.0f} |")
    node = shutil.which("node")
    if node is None or not (INTEROP_DIR / "node_modules").is_dir():
        rows.append("| `node reference.mjs` verify | skipped: no node_modules | |")
    else:
        request = json.dumps({"op": "verify", "document": signed})
        wall, peak, error = time_cold_runs([node, str(REFERENCE_CLI)], request)
        if error:
            rows.append(f"| `node reference.mjs` verify | failed: {error} | |")
        else:
            rows.append(
                f"| `node reference.mjs` verify | {wall * 1000:.0f} ms | {peak:.0f} |"
            )
    return rows


# -- report ---------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tool_version(command: list[str]) -> str:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=30
        ).stdout.strip()
    except OSError:
        return "not found"


def package_version(name: str) -> str:
    try:
        return distribution_version(name)
    except PackageNotFoundError:
        return "not installed"


def format_ops(measurement: Measurement | None) -> str:
    if measurement is None:
        return "skipped"
    if measurement.ops_per_second is None:
        return f"failed ({measurement.error})"
    return f"{measurement.ops_per_second:.1f}"


def format_ratio(ours: Measurement, reference: Measurement | None) -> str:
    if reference is None or ours.ops_per_second is None:
        return ""
    if reference.ops_per_second is None:
        return ""
    return f"{ours.ops_per_second / reference.ops_per_second:.2f}x"


def format_rss(measurement: Measurement | None) -> str:
    if measurement is None or measurement.peak_rss_mib is None:
        return ""
    return f"{measurement.peak_rss_mib:.0f}"


def machine_lines() -> list[str]:
    lock = json.loads((INTEROP_DIR / "package-lock.json").read_text("utf-8"))
    packages = lock.get("packages", {})

    def npm_version(name: str) -> str:
        entry = packages.get(f"node_modules/{name}", {})
        return str(entry.get("version", "not installed"))

    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        f"- OS: {platform.system()} {platform.release()}",
        (
            f"- Python {platform.python_version()}, pyld {package_version('pyld')}, "
            f"cryptography {package_version('cryptography')}, "
            f"rfc8785 {package_version('rfc8785')}"
        ),
        (
            f"- Node.js {tool_version(['node', '--version'])}, @digitalbazaar/vc "
            f"{npm_version('@digitalbazaar/vc')}, jsonld "
            f"{npm_version('jsonld')}, rdf-canonize {npm_version('rdf-canonize')}"
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=2.0,
        help="minimum timed duration of each case, in seconds (default 2)",
    )
    parser.add_argument(
        "--output", type=Path, help="also write the markdown report to this file"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(run_worker(json.load(sys.stdin))))
        return 0

    key = load_fixture("issuer-key.json")
    credential = load_fixture("ob3-credential.json")
    documents = {
        "OB 3.0 credential": credential,
        f"CLR-like bundle, {LARGE_ACHIEVEMENT_COUNT} achievements": build_clr_bundle(
            credential
        ),
    }
    signed = sign_inputs(documents, key)
    reference = node_command()

    table = [
        (
            "| document | suite | op | vcwork ops/s | reference ops/s | vcwork / "
            "reference | vcwork peak RSS MiB | reference peak RSS MiB |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    base_request = {"document": credential, "suite": SUITES[0], "op": "baseline"}
    ours_base = measure(python_command(), base_request)
    theirs_base = measure(reference, base_request) if reference else None
    table.append(
        f"| (baseline: start, import, exit) | | | | | | {format_rss(ours_base)} | "
        f"{format_rss(theirs_base)} |"
    )
    for name, document in documents.items():
        size = len(json.dumps(document))
        for suite in SUITES:
            for operation in ("sign", "verify"):
                request = {
                    "op": operation,
                    "suite": suite,
                    "keyPair": key,
                    "created": CREATED,
                    "seconds": args.seconds,
                    "document": (
                        document_for_suite(document, suite)
                        if operation == "sign"
                        else signed[name, suite]
                    ),
                }
                ours = measure(python_command(), request)
                theirs = measure(reference, request) if reference else None
                table.append(
                    f"| {name} ({size / 1024:.1f} KiB) | {suite} | {operation} | "
                    f"{format_ops(ours)} | {format_ops(theirs)} | "
                    f"{format_ratio(ours, theirs)} | {format_rss(ours)} | "
                    f"{format_rss(theirs)} |"
                )
                print(table[-1], file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as folder:
        signed_ob = signed["OB 3.0 credential", SUITES[0]]
        signed_file = Path(folder) / "ob3-credential-signed.json"
        signed_file.write_text(json.dumps(signed_ob), "utf-8")
        cold = cold_rows(signed_file, signed_ob)

    report = [
        (
            f"Measured {date.today().isoformat()}, {args.seconds:g} s per case "
            "after 3 untimed warm-up runs."
        ),
        "",
        *machine_lines(),
        "",
        *table,
        "",
        (
            "Cold start, eddsa-rdfc-2022 verify of the OB 3.0 credential "
            f"(median of {COLD_RUNS} whole-process runs):"
        ),
        "",
        "| command | wall time | peak RSS MiB |",
        "|---|---:|---:|",
        *cold,
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
