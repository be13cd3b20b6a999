"""Bitstring Status List v1.0: revocation, suspension and status messages.

Issuer side: :class:`StatusListStore` allocates random indexes, records
status changes and signs the ``BitstringStatusListCredential`` of each list.
Verifier side: :class:`BitstringStatusListChecker` is a ``status_checker``
for :func:`vcwork.credentials.verify_credential`. The older
``StatusList2021Entry`` is read too.
"""

from __future__ import annotations

from ._errors import (
    STATUS_PROBLEM_TYPE_BASE,
    StatusChangeError,
    StatusEntryNotFoundError,
    StatusListError,
    StatusListLengthError,
    StatusRetrievalError,
    StatusVerificationError,
)
from .bitstring import (
    MIN_BITSTRING_LENGTH,
    Bitstring,
    decode_encoded_list,
    encode_bitstring,
)
from .checker import BitstringStatusListChecker, StatusResult
from .entry import (
    BITSTRING_STATUS_LIST_ENTRY,
    STATUS_PURPOSES,
    BitstringStatusListEntry,
    StatusMessage,
)
from .fetch import Fetcher, FetchResponse, HttpxFetcher, cache_lifetime_from_headers
from .list_credential import (
    BITSTRING_STATUS_LIST,
    BITSTRING_STATUS_LIST_CREDENTIAL,
    StatusList,
    build_status_list_credential,
    read_status_list,
)
from .store import StatusChange, StatusListInfo, StatusListStore, sqlite_url

__all__ = [
    "BITSTRING_STATUS_LIST",
    "BITSTRING_STATUS_LIST_CREDENTIAL",
    "BITSTRING_STATUS_LIST_ENTRY",
    "MIN_BITSTRING_LENGTH",
    "STATUS_PROBLEM_TYPE_BASE",
    "STATUS_PURPOSES",
    "Bitstring",
    "BitstringStatusListChecker",
    "BitstringStatusListEntry",
    "FetchResponse",
    "Fetcher",
    "HttpxFetcher",
    "StatusChange",
    "StatusChangeError",
    "StatusEntryNotFoundError",
    "StatusList",
    "StatusListError",
    "StatusListInfo",
    "StatusListLengthError",
    "StatusListStore",
    "StatusMessage",
    "StatusResult",
    "StatusRetrievalError",
    "StatusVerificationError",
    "build_status_list_credential",
    "cache_lifetime_from_headers",
    "decode_encoded_list",
    "encode_bitstring",
    "read_status_list",
    "sqlite_url",
]
