"""The fast RFC 8785 path gives the same bytes as the rfc8785 package."""

from __future__ import annotations

import random
from typing import Any

import pytest
import rfc8785

from vcwork.jcs import canonicalize_json

_STRINGS = [
    "",
    "plain",
    'quote " and backslash \\',
    "controls \x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f",
    "é ü ß ñ 中文 \u2028 \u2029 \ufeff \uffff",
    "emoji \U0001f600",
    "a\ue000",
    "\U00010000",
    "Z",
    "aa",
]
_NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2**53 - 1,
    -(2**53) + 1,
    2**53,
    10**30,
    1.0,
    0.1,
    -0.0,
    1e21,
    5e-7,
]


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice(_STRINGS)
    if kind == 1:
        return rng.choice(_NUMBERS)
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.randrange(-1000, 1000)
    if kind == 4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(_STRINGS) + str(i): _random_value(rng, depth + 1)
        for i in range(rng.randrange(5))
    }


def test_fast_path_matches_rfc8785_on_random_documents() -> None:
    rng = random.Random(8785)
    checked = 0
    for _ in range(3000):
        value = {"k": _random_value(rng, 0)}
        try:
            expected = rfc8785.dumps(value)
        except rfc8785.CanonicalizationError:
            with pytest.raises(rfc8785.CanonicalizationError):
                canonicalize_json(value)
            continue
        assert canonicalize_json(value) == expected, value
        checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "keys",
    [["\U0001f600", "\ue000"], ["b", "a", "B"], ["\u00e9", "e\u0301"]],
    ids=["astral-vs-private-use", "ascii", "precomposed"],
)
def test_key_order_matches_utf16(keys: list[str]) -> None:
    value = {key: 1 for key in keys}
    assert canonicalize_json(value) == rfc8785.dumps(value)


def test_nan_is_rejected() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonicalize_json({"x": float("nan")})
