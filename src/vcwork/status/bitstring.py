"""The status bitstring and its ``encodedList`` form.

Implements the Bitstring Generation and Expansion algorithms of Bitstring
Status List v1.0 (sections 3.3 and 3.4,
https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-generation-algorithm):
``encodedList`` is ``u`` + base64url without padding of the GZIP-compressed
bitstring. Index 0 is the left-most (most significant) bit of the first byte.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib

from ..errors import MalformedValueError, RangeError

__all__ = [
    "MAX_ENCODED_LIST_BYTES",
    "MIN_BITSTRING_LENGTH",
    "Bitstring",
    "decode_encoded_list",
    "encode_bitstring",
]

# Bitstring Status List v1.0, section 3.2 step 2: a list has at least 131,072
# entries (16 KiB uncompressed), so one index hides among many.
MIN_BITSTRING_LENGTH = 131_072

# Largest uncompressed bitstring accepted when decoding, so a small GZIP bomb
# cannot exhaust memory. 16 MiB has room for 134,217,728 one-bit entries.
MAX_ENCODED_LIST_BYTES = 16 * 1024 * 1024

# The GZIP magic bytes 1f 8b 08 encode to "H4sI" in base64.
_GZIP_BASE64_START = "H4s"


class Bitstring:
    """A fixed-length list of bits; entries of ``status_size`` bits read MSB first."""

    __slots__ = ("_bits", "length")

    def __init__(
        self, length: int = MIN_BITSTRING_LENGTH, *, buffer: bytes | None = None
    ) -> None:
        if buffer is not None:
            self._bits = bytearray(buffer)
            self.length = len(buffer) * 8
            return
        if length <= 0 or length % 8:
            raise RangeError(
                f"a bitstring length must be a positive multiple of 8, got {length}",
                value=length,
            )
        self._bits = bytearray(length // 8)
        self.length = length

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def get_bit(self, position: int) -> int:
        """Return the bit at ``position`` (0 is the left-most bit of byte 0)."""
        self._check_range(position, 1)
        return (self._bits[position >> 3] >> (7 - (position & 7))) & 1

    def set_bit(self, position: int, value: bool | int) -> None:
        self._check_range(position, 1)
        mask = 1 << (7 - (position & 7))
        if value:
            self._bits[position >> 3] |= mask
        else:
            self._bits[position >> 3] &= ~mask & 0xFF

    def get_status(self, index: int, status_size: int = 1) -> int:
        """Return the value of entry ``index``: ``status_size`` bits at ``index * status_size``.

        The first bit read is the most significant bit of the value. Raises
        :class:`RangeError` when the entry lies outside the bitstring.
        """
        start = index * status_size
        self._check_range(start, status_size)
        value = 0
        for position in range(start, start + status_size):
            value = (value << 1) | self.get_bit(position)
        return value

    def set_status(self, index: int, value: int, status_size: int = 1) -> None:
        """Write ``value`` into entry ``index`` of ``status_size`` bits."""
        if not 0 <= value < (1 << status_size):
            raise RangeError(
                f"status value {value} does not fit in {status_size} bit(s)",
                value=value,
            )
        start = index * status_size
        self._check_range(start, status_size)
        for offset in range(status_size):
            bit = (value >> (status_size - 1 - offset)) & 1
            self.set_bit(start + offset, bit)

    def _check_range(self, start: int, size: int) -> None:
        if start < 0 or start + size > self.length:
            raise RangeError(
                f"bit position {start} (entry of {size} bit(s)) is outside the "
                f"bitstring of {self.length} bits",
                value=start,
            )

    def encode(self) -> str:
        return encode_bitstring(bytes(self._bits))

    @classmethod
    def decode(
        cls, encoded_list: object, *, max_bytes: int = MAX_ENCODED_LIST_BYTES
    ) -> Bitstring:
        return cls(buffer=decode_encoded_list(encoded_list, max_bytes=max_bytes))


def encode_bitstring(bitstring: bytes) -> str:
    """Return the strict ``encodedList`` form: ``u`` + base64url(GZIP(bitstring)), no padding.

    ``mtime=0`` keeps the output the same for the same bits.
    """
    compressed = gzip.compress(bitstring, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_encoded_list(
    encoded_list: object, *, max_bytes: int = MAX_ENCODED_LIST_BYTES
) -> bytes:
    """Return the uncompressed bitstring of an ``encodedList`` value.

    Reads what deployed issuers write besides the strict form: no multibase
    prefix (StatusList2021 lists), ``=`` padding, and the standard base64
    alphabet. Raises :class:`MalformedValueError` for anything that is not
    base64 of a GZIP stream, or that expands beyond ``max_bytes``.
    """
    if not isinstance(encoded_list, str) or not encoded_list.strip():
        raise MalformedValueError(
            "encodedList must be a non-empty string (u + base64url of GZIP data), "
            f"got {type(encoded_list).__name__}",
            property="credentialSubject.encodedList",
        )
    text = "".join(encoded_list.split())
    if text[:1] in ("u", "U", "m", "M") and text[1:].startswith(_GZIP_BASE64_START):
        text = text[1:]
    text = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise MalformedValueError(
            f"encodedList is not valid base64url: {e}",
            property="credentialSubject.encodedList",
            value=encoded_list,
        ) from e
    return _gunzip(compressed, max_bytes=max_bytes)


def _gunzip(compressed: bytes, *, max_bytes: int) -> bytes:
    # wbits=31 accepts exactly one GZIP member (RFC 1952 header and trailer).
    decompressor = zlib.decompressobj(wbits=31)
    try:
        data = decompressor.decompress(compressed, max_bytes + 1)
    except zlib.error as e:
        raise MalformedValueError(
            f"encodedList is not GZIP-compressed data: {e}",
            property="credentialSubject.encodedList",
        ) from e
    if len(data) > max_bytes:
        raise MalformedValueError(
            f"encodedList expands to more than {max_bytes} bytes; the list is "
            "rejected to bound memory use",
            property="credentialSubject.encodedList",
        )
    if not decompressor.eof:
        raise MalformedValueError(
            "encodedList is truncated: the GZIP stream has no end",
            property="credentialSubject.encodedList",
        )
    return data
