"""encodedList encoding and decoding, and bit order."""

from __future__ import annotations

import base64
import gzip

import pytest

from vcwork.errors import MalformedValueError, RangeError
from vcwork.status import (
    MIN_BITSTRING_LENGTH,
    Bitstring,
    decode_encoded_list,
    encode_bitstring,
)

# The all-zero list printed in the Bitstring Status List v1.0 examples.
SPEC_EXAMPLE_ENCODED_LIST = (
    "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
)


def test_spec_example_decodes_to_zeros() -> None:
    bits = decode_encoded_list(SPEC_EXAMPLE_ENCODED_LIST)
    assert len(bits) * 8 == MIN_BITSTRING_LENGTH
    assert bits == bytes(len(bits))


def test_encode_is_strict_multibase() -> None:
    encoded = encode_bitstring(bytes(16384))
    assert encoded.startswith("uH4sI")
    assert "=" not in encoded
    assert "+" not in encoded and "/" not in encoded


def test_round_trip_keeps_bits() -> None:
    bitstring = Bitstring()
    for index in (0, 1, 7, 8, 65_535, 131_071):
        bitstring.set_bit(index, True)
    decoded = Bitstring.decode(bitstring.encode())
    assert decoded.length == MIN_BITSTRING_LENGTH
    assert decoded.to_bytes() == bitstring.to_bytes()


@pytest.mark.parametrize(
    ("index", "byte", "mask"),
    [(0, 0, 0x80), (7, 0, 0x01), (65_540, 8_192, 0x08), (131_071, 16_383, 0x01)],
)
def test_bit_order_left_most_first(index: int, byte: int, mask: int) -> None:
    bitstring = Bitstring()
    bitstring.set_bit(index, True)
    raw = bitstring.to_bytes()
    assert raw[byte] == mask
    assert sum(raw) == mask
    assert Bitstring.decode(bitstring.encode()).get_bit(index) == 1


def test_multi_bit_status_reads_msb_first() -> None:
    bitstring = Bitstring(16)
    bitstring.set_status(1, 0b10, status_size=2)
    assert bitstring.to_bytes() == bytes([0b0010_0000, 0])
    assert bitstring.get_status(1, status_size=2) == 2
    assert bitstring.get_status(0, status_size=2) == 0


def test_status_value_too_large_rejected() -> None:
    with pytest.raises(RangeError):
        Bitstring(16).set_status(0, 4, status_size=2)


def test_index_past_end_rejected() -> None:
    with pytest.raises(RangeError):
        Bitstring(16).get_bit(16)


def test_decode_tolerates_legacy_forms() -> None:
    raw = bytes([0x80]) + bytes(16383)
    compressed = gzip.compress(raw)
    padded_url = base64.urlsafe_b64encode(compressed).decode()
    standard = base64.b64encode(compressed).decode()
    for form in (padded_url, "u" + padded_url, standard, padded_url.rstrip("=")):
        assert decode_encoded_list(form) == raw, form


@pytest.mark.parametrize(
    "value",
    [
        "",
        42,
        "u!!!!",
        "u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="),
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(100))[:-12]).decode(),
    ],
)
def test_decode_malformed_rejected(value: object) -> None:
    with pytest.raises(MalformedValueError):
        decode_encoded_list(value)


def test_decode_size_limit() -> None:
    encoded = encode_bitstring(bytes(64 * 1024))
    with pytest.raises(MalformedValueError, match="more than"):
        decode_encoded_list(encoded, max_bytes=32 * 1024)
