"""Compare vcwork's RDFC-1.0 with pyld's URDNA2015 on the same datasets.

Run from the repository root: ``.venv/bin/python bench/bench_rdfc.py``.
Prints operations per second for each dataset: vcwork with its term cache warm
(the same IRIs and literals as the call before) and cold (cache emptied before
each call), and pyld 3.3. Both sides start from an already parsed dataset, so
the numbers measure canonicalization (hashing, labeling, serialization and
sorting), not N-Quads parsing. The ratio is vcwork warm over pyld.

Datasets, read from the test vectors in ``tests/vectors``:

* ``clr-credential``: the 1EdTech CLR 2.0 vector (49 quads, 3 blank nodes, one
  of them naming the graph of an embedded proof);
* ``ob-credential``: the 1EdTech Open Badges 3.0 vector (16 quads, 1 blank node);
* ``vc-alumni``: the W3C eddsa-rdfc-2022 document (8 quads, no blank node);
* ``shared-hashes``: RDFC-1.0 test020, blank nodes with equal first degree
  hashes, so Hash N-Degree Quads runs;
* ``poison-evil``: RDFC-1.0 test044, the heaviest positive case of the suite.

The vectors use canonical labels (``_:c14n0``); they are renamed to ``_:b0``,
``_:b1`` ... in reverse order first, so the input labels carry no canonical
order.
"""

from __future__ import annotations

import re
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

from pyld import jsonld
from pyld.canon import URDNA2015

from vcwork.jsonld import rdfc
from vcwork.jsonld.nquads import parse_nquads
from vcwork.jsonld.rdfc import canonical_nquads

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors"
DATASETS = {
    "clr-credential": VECTORS / "1edtech-ob-clr/clrv2p0/document-canon.txt",
    "ob-credential": VECTORS / "1edtech-ob-clr/obv3p0/document-canon.txt",
    "vc-alumni": VECTORS / "eddsa-rdfc-2022/canonDocDataInt.txt",
    "shared-hashes": VECTORS / "rdf-canon/rdfc10/test020-in.nq",
    "poison-evil": VECTORS / "rdf-canon/rdfc10/test044-in.nq",
}
MIN_SECONDS = 1.0


def _relabel(text: str) -> str:
    labels = sorted(set(re.findall(r"_:([A-Za-z0-9]+)", text)))
    renamed = {label: f"b{len(labels) - 1 - i}" for i, label in enumerate(labels)}
    return re.sub(r"_:([A-Za-z0-9]+)", lambda m: "_:" + renamed[m.group(1)], text)


def _ops_per_second(function: Callable[[], object]) -> float:
    timer = timeit.Timer(function)
    number, seconds = timer.autorange()
    while seconds < MIN_SECONDS:
        number *= 2
        seconds = timer.timeit(number)
    return number / seconds


def _bench_dataset(name: str, path: Path) -> bool:
    text = _relabel(path.read_bytes().decode("utf-8"))
    quads = parse_nquads(text)
    pyld_dataset = jsonld.JsonLdProcessor.parse_nquads(text)
    pyld_options = {"format": "application/n-quads"}

    # RDFC-1.0 and URDNA2015 differ only in escaping control characters,
    # which these datasets do not contain.
    if canonical_nquads(quads) != URDNA2015().main(pyld_dataset, pyld_options):
        print(f"{name}: vcwork and pyld outputs differ", file=sys.stderr)
        return False

    def canonicalize_cold() -> str:
        rdfc._TERM_TEXT_CACHE.clear()
        return canonical_nquads(quads)

    warm_rate = _ops_per_second(lambda: canonical_nquads(quads))
    cold_rate = _ops_per_second(canonicalize_cold)
    pyld_rate = _ops_per_second(lambda: URDNA2015().main(pyld_dataset, pyld_options))
    print(
        f"{name:<16} {len(quads):>5} {warm_rate:>11,.0f} {cold_rate:>11,.0f} "
        f"{pyld_rate:>11,.0f} {warm_rate / pyld_rate:>5.1f}x"
    )
    return True


def main() -> int:
    print(
        f"{'dataset':<16} {'quads':>5} {'warm ops/s':>11} {'cold ops/s':>11} "
        f"{'pyld ops/s':>11} ratio"
    )
    for name, path in DATASETS.items():
        if not _bench_dataset(name, path):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
