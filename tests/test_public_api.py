"""Every public package declares its surface in __all__, and every name exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

PUBLIC_PACKAGES = [
    "vcwork.keys",
    "vcwork.errors",
    "vcwork.dates",
    "vcwork.jcs",
    "vcwork.storage",
    "vcwork.did",
    "vcwork.jsonld",
    "vcwork.proofs",
    "vcwork.credentials",
    "vcwork.badges",
    "vcwork.status",
    "vcwork.anchoring",
    "vcwork.outcomes",
]


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == []


def test_library_imports_no_web_framework() -> None:
    # The library stays usable without the services' web stack: only the
    # services (issuer_agent, verifier_agent, wallet) import FastAPI.
    root = Path(importlib.import_module("vcwork").__file__ or "").parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(
            r"^\s*(from|import) (fastapi|starlette)\b", path.read_text("utf-8"), re.M
        )
    ]
    assert offenders == []


def test_package_is_typed() -> None:
    from importlib import resources

    assert resources.files("vcwork").joinpath("py.typed").is_file()
