"""The verifier side: check a credential's status against its status list.

Implements the Validate Algorithm of Bitstring Status List v1.0, section 3.2
(https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm), with
its step numbers in :meth:`BitstringStatusListChecker.status_of`. A
:class:`BitstringStatusListChecker` is a ``status_checker`` for
:func:`vcwork.credentials.verify_credential`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..credentials.model import issuer_id, validity_period
from ..credentials.result import Check
from ..dates import utcnow
from ..errors import Problem, RangeError, VcworkError
from ..jsonld.loader import BundledDocumentLoader
from ._errors import (
    StatusListLengthError,
    StatusRetrievalError,
    StatusVerificationError,
)
from .bitstring import MIN_BITSTRING_LENGTH
from .entry import (
    BITSTRING_STATUS_LIST_ENTRY,
    STATUS_LIST_2021_ENTRY,
    BitstringStatusListEntry,
    status_entries,
)
from .fetch import Fetcher, HttpxFetcher, cache_lifetime_from_headers
from .list_credential import StatusList, read_status_list

__all__ = ["BitstringStatusListChecker", "StatusResult"]

logger = logging.getLogger(__name__)

# Purposes whose set bit makes a credential invalid, and the detail shown.
_INVALIDATING = {
    "revocation": "revoked by the issuer",
    "suspension": "suspended by the issuer",
}


@dataclass(frozen=True)
class StatusResult:
    """The result of the Validate Algorithm for one entry (section 3.2, steps 11-14)."""

    entry: BitstringStatusListEntry
    status: int
    valid: bool
    message: str | None

    @property
    def purpose(self) -> str:
        return self.entry.status_purpose


@dataclass
class _CachedList:
    status_list: StatusList
    expires_at: float


class BitstringStatusListChecker:
    """Check ``BitstringStatusListEntry`` (and ``StatusList2021Entry``) status.

    ``fetcher`` returns the status list credential at a URL (default: an
    :class:`HttpxFetcher`, HTTPS only, plain http to loopback only with
    ``allow_http_loopback``). ``resolver``, ``loader`` and ``now`` are passed
    to :func:`vcwork.credentials.verify_credential` for the list's proof and
    validity period. A verified list is cached for its ``ttl``, else for the
    HTTP ``Cache-Control: max-age`` or ``Expires``, else for
    ``default_cache_seconds``, and never past ``max_cache_seconds`` or its
    ``validUntil``.

    A list that cannot be retrieved makes the check ``failed`` with a
    ``STATUS_RETRIEVAL_ERROR`` problem, because the Validate Algorithm raises
    an error there and the status is unknown. With
    ``retrieval_error_outcome="not_checked"`` it is reported without failing
    the verification. ``require_same_issuer`` rejects a list signed by
    anyone but the credential's issuer (the spec allows another issuer, so
    turn it off when you trust the list's issuer some other way).
    """

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        resolver: Any = None,
        allow_http_loopback: bool = False,
        now: datetime | None = None,
        loader: BundledDocumentLoader | None = None,
        minimum_entries: int = MIN_BITSTRING_LENGTH,
        retrieval_error_outcome: Literal["failed", "not_checked"] = "failed",
        require_same_issuer: bool = True,
        default_cache_seconds: float = 300.0,
        max_cache_seconds: float = 86_400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher: Fetcher = fetcher or HttpxFetcher(
            allow_http_loopback=allow_http_loopback
        )
        self.resolver = resolver
        self.now = now
        self.loader = loader
        self.minimum_entries = minimum_entries
        self.retrieval_error_outcome = retrieval_error_outcome
        self.require_same_issuer = require_same_issuer
        self.default_cache_seconds = default_cache_seconds
        self.max_cache_seconds = max_cache_seconds
        self._clock = clock
        self._cache: dict[str, _CachedList] = {}
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- the status_checker hook ---------------------------------------------

    def __call__(self, credential: dict[str, Any]) -> Check:
        """Return the ``status`` check of a credential; errors become problems of the check."""
        results: list[StatusResult] = []
        failures: list[Problem] = []
        retrieval: list[Problem] = []
        unsupported: list[str] = []
        for path, value in status_entries(credential):
            entry_type = value.get("type") if isinstance(value, dict) else None
            types = entry_type if isinstance(entry_type, list) else [entry_type]
            if isinstance(value, dict) and not (
                {BITSTRING_STATUS_LIST_ENTRY, STATUS_LIST_2021_ENTRY}
                & set(map(str, types))
            ):
                unsupported.append(f"{path} ({entry_type!r})")
                continue
            try:
                entry = BitstringStatusListEntry.from_json(value, property=path)
                results.append(self.status_of(entry, issuer=issuer_id(credential)))
            except StatusRetrievalError as e:
                retrieval.append(e.to_problem())
            except VcworkError as e:
                failures.append(e.to_problem())
        return self._summarize(results, failures, retrieval, unsupported)

    def _summarize(
        self,
        results: list[StatusResult],
        failures: list[Problem],
        retrieval: list[Problem],
        unsupported: list[str],
    ) -> Check:
        invalid = [r for r in results if not r.valid and r.purpose in _INVALIDATING]
        if failures or invalid:
            details = [
                f"{_INVALIDATING[r.purpose]} (status list "
                f"{r.entry.status_list_credential}, index {r.entry.status_list_index})"
                for r in invalid
            ]
            details += [p.detail for p in failures + retrieval]
            return Check(
                "status", "failed", "; ".join(details), tuple(failures + retrieval)
            )
        if retrieval:
            detail = "the status is unknown: " + "; ".join(p.detail for p in retrieval)
            return Check(
                "status", self.retrieval_error_outcome, detail, tuple(retrieval)
            )
        if not results:
            return Check(
                "status",
                "not_checked",
                "no supported status entry: " + ", ".join(unsupported),
            )
        parts = [_describe(r) for r in results]
        if unsupported:
            parts.append("not checked: " + ", ".join(unsupported))
        return Check("status", "passed", "; ".join(parts))

    # -- the Validate Algorithm ------------------------------------------------

    def status_of(
        self, entry: BitstringStatusListEntry, *, issuer: str | None = None
    ) -> StatusResult:
        """Run the Validate Algorithm for one entry and return its status.

        ``issuer`` is the issuer of the credential that carries the entry;
        with ``require_same_issuer`` the list must be signed by it. Raises
        :class:`StatusRetrievalError`, :class:`StatusVerificationError`,
        :class:`StatusListLengthError`, :class:`RangeError` or
        :class:`MalformedValueError`.
        """
        # Steps 1-3: the entry, the minimum number of entries and the purpose.
        # Step 4: dereference the list and verify its proofs (cached).
        status_list = self._status_list(entry.status_list_credential)
        if (
            self.require_same_issuer
            and issuer is not None
            and status_list.issuer != issuer
        ):
            raise StatusVerificationError(
                f"the status list {status_list.url} was issued by "
                f"{status_list.issuer!r}, not by the credential's issuer {issuer!r}",
                property="issuer",
                value=status_list.issuer,
            )
        # Step 5: the entry's purpose must be one of the list's purposes.
        if entry.status_purpose not in status_list.status_purposes:
            raise StatusVerificationError(
                f"the entry's statusPurpose is {entry.status_purpose!r} but the "
                f"status list {status_list.url} is for "
                f"{', '.join(status_list.status_purposes)}",
                property="statusPurpose",
                value=entry.status_purpose,
            )
        # Steps 6-9: expand the bitstring (done once per list) and check its length.
        bitstring = status_list.bitstring
        entries = bitstring.length // entry.status_size
        if entries < self.minimum_entries:
            raise StatusListLengthError(
                f"the status list {status_list.url} has {entries} entries of "
                f"{entry.status_size} bit(s); at least {self.minimum_entries} are "
                "required for herd privacy",
                property="credentialSubject.encodedList",
                value=entries,
            )
        # Step 10: read statusSize bits at statusListIndex * statusSize.
        start = entry.status_list_index * entry.status_size
        if start + entry.status_size > bitstring.length:
            raise RangeError(
                f"statusListIndex {entry.status_list_index} is outside the status "
                f"list {status_list.url}, which has {entries} entries",
                property="statusListIndex",
                value=entry.status_list_index,
            )
        status = bitstring.get_status(entry.status_list_index, entry.status_size)
        # Steps 11-14: the result; a message entry also gets its message.
        message = (
            entry.message_for(status) if entry.status_purpose == "message" else None
        )
        return StatusResult(
            entry=entry, status=status, valid=status == 0, message=message
        )

    def _status_list(self, url: str) -> StatusList:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and cached.expires_at > now and not self._expired(cached):
            return cached.status_list
        try:
            response = self.fetcher(url)
        except VcworkError:
            raise
        except Exception as e:  # a caller's fetcher may raise anything
            raise StatusRetrievalError(
                f"fetching the status list {url} failed: {type(e).__name__}: {e}",
                property="statusListCredential",
                value=url,
            ) from e
        status_list = self._verified_list(url, response.content)
        lifetime = self._lifetime(
            status_list, cache_lifetime_from_headers(response.headers)
        )
        if lifetime > 0:
            with self._lock:
                self._cache[url] = _CachedList(status_list, now + lifetime)
        return status_list

    def _expired(self, cached: _CachedList) -> bool:
        valid_until = cached.status_list.valid_until
        return valid_until is not None and (self.now or utcnow()) > valid_until

    def _lifetime(
        self, status_list: StatusList, header_lifetime: float | None
    ) -> float:
        if status_list.ttl is not None:
            lifetime = status_list.ttl.total_seconds()
        elif header_lifetime is not None:
            lifetime = header_lifetime
        else:
            lifetime = self.default_cache_seconds
        return min(lifetime, self.max_cache_seconds)

    def _verified_list(self, url: str, content: bytes) -> StatusList:
        from ..credentials import parse_document, verify_credential
        from ..errors import ParsingError

        try:
            document = parse_document(content)
        except ParsingError as e:
            raise StatusRetrievalError(
                f"the status list at {url} is not a JSON credential: {e.detail}",
                property="statusListCredential",
                value=url,
            ) from e
        result = verify_credential(
            document, resolver=self.resolver, now=self.now, loader=self.loader
        )
        if not result.verified:
            reasons = "; ".join(p.detail for p in result.problems[:3]) or "unknown"
            raise StatusVerificationError(
                f"the status list credential {url} did not verify: {reasons}",
                property="statusListCredential",
                value=url,
            )
        _, valid_until, _ = validity_period(document)
        return read_status_list(document, url=url, valid_until=valid_until)


def _describe(result: StatusResult) -> str:
    entry = result.entry
    if result.purpose == "message":
        return f"message status 0x{result.status:x} ({result.message})"
    state = "set" if result.status else "not set"
    return f"{entry.status_purpose} bit {state} (index {entry.status_list_index})"
