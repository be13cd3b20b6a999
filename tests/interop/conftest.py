"""Fixtures that run Digital Bazaar's JavaScript VC stack next to vcwork.

The npm packages are pinned in ``package.json`` / ``package-lock.json`` in this
folder. When ``node_modules`` is missing, the first test that needs the
reference stack runs ``npm ci`` here once per session. Tests are skipped when
``node`` or ``npm`` is not on PATH, and fail with npm's output when
``npm ci`` fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = INTEROP_DIR / "fixtures"
REFERENCE_CLI = INTEROP_DIR / "reference.mjs"

# Generous limits for a cold `npm ci` and for a batch of JSON-LD requests on a
# slow CI machine. They only stop a hung process because no test measures time.
NPM_CI_TIMEOUT_SECONDS = 600
REFERENCE_TIMEOUT_SECONDS = 300

ReferenceRunner = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def load_fixture(name: str) -> Any:
    """Return the parsed JSON fixture ``name`` from ``fixtures/``."""
    return json.loads((FIXTURES_DIR / name).read_text("utf-8"))


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"{name} is not on PATH; the interop tests need Node.js 20 or later "
            "and npm to run the reference JavaScript stack"
        )
    return path


@pytest.fixture(scope="session")
def reference_node_modules() -> Path:
    """Install the pinned npm packages once per session unless already present."""
    _require_tool("node")
    node_modules = INTEROP_DIR / "node_modules"
    if node_modules.is_dir():
        return node_modules
    npm = _require_tool("npm")
    try:
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=INTEROP_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            "npm ci in tests/interop timed out after "
            f"{NPM_CI_TIMEOUT_SECONDS} s; check access to the npm registry or run "
            "`npm ci --prefix tests/interop` by hand",
            pytrace=False,
        )
    if completed.returncode != 0:
        pytest.fail(
            "npm ci in tests/interop failed with exit status "
            f"{completed.returncode}; fix the error below and rerun, or run "
            "`npm ci --prefix tests/interop` by hand.\n"
            f"{completed.stdout}\n{completed.stderr}",
            pytrace=False,
        )
    return node_modules


def run_reference(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send ``requests`` to ``reference.mjs`` in one process; return its responses.

    Raises ``RuntimeError`` with the tool's stderr when the process fails or
    prints something that is not one response per request.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            "node is not on PATH; install Node.js 20 or later to run reference.mjs"
        )
    completed = subprocess.run(
        [node, str(REFERENCE_CLI)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=REFERENCE_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"reference.mjs exited with status {completed.returncode}: "
            f"{completed.stderr.strip()}"
        )
    try:
        responses = json.loads(completed.stdout)
    except ValueError as e:
        raise RuntimeError(
            f"reference.mjs printed invalid JSON ({e}); stderr: "
            f"{completed.stderr.strip()}"
        ) from e
    if not isinstance(responses, list) or len(responses) != len(requests):
        raise RuntimeError(
            f"reference.mjs returned {type(responses).__name__} for "
            f"{len(requests)} requests; expected a list with one response each"
        )
    return responses


@pytest.fixture(scope="session")
def reference_js(reference_node_modules: Path) -> ReferenceRunner:
    """A function that runs a batch of requests through the reference stack."""
    return run_reference
