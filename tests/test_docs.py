"""The Python examples in docs/ run and their assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", ["library.md"])
def test_docs_examples_run(page: str) -> None:
    blocks = _BLOCK.findall((DOCS / page).read_text("utf-8"))
    assert blocks, f"no python examples found in docs/{page}"
    namespace: dict[str, object] = {}
    for index, block in enumerate(blocks):
        code = compile(block, f"docs/{page}#example-{index + 1}", "exec")
        exec(code, namespace)
