"""A DID resolver with a registry by method, and verification method lookup.

:class:`DidResolver` resolves ``did:key`` offline, ``did:web`` over HTTPS when
the caller enables it, and any DID or HTTPS controller document URL the
caller registers as a static document. It caches every resolved document for
its own lifetime.

:meth:`DidResolver.dereference_verification_method` follows the "Retrieve
Verification Method" algorithm of Controlled Identifiers 1.0, section 3.3
(https://www.w3.org/TR/cid-1.0/#retrieve-verification-method), with its
steps numbered in the code. Failures raise :class:`DidResolutionError` with
one of these codes:

- ``invalidDidUrl``: the URL is malformed or has no fragment.
- ``invalidDid``, ``notFound``, ``methodNotSupported``,
  ``representationNotSupported``, ``invalidDidDocument``: resolving the
  document failed (DID Resolution's error names).
- ``INVALID_VERIFICATION_METHOD``: the method is missing or malformed, or has
  a foreign controller (the Controlled Identifiers 1.0 name).
- ``INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD``: the method is not listed
  under the requested relationship (the Controlled Identifiers 1.0 name).
- ``invalidPublicKey``, ``unsupportedPublicKeyType``: its key cannot be used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import DidResolutionError
from .document import (
    VERIFICATION_RELATIONSHIPS,
    VerificationMethod,
    absolute_id,
    copy_document,
    public_key_from_verification_method,
    validate_did_document,
)
from .key import resolve_did_key
from .syntax import is_did, parse_did, parse_did_url
from .web import DidWebOptions, resolve_did_web

__all__ = ["DidResolver", "MethodResolver"]

logger = logging.getLogger(__name__)

MethodResolver = Callable[[str], Mapping[str, Any]]
"""A function that returns the DID document of a DID of one method."""

_INVALID_METHOD = "INVALID_VERIFICATION_METHOD"
_INVALID_RELATIONSHIP = "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def _is_https_url(value: str) -> bool:
    return value.startswith("https://")


class DidResolver:
    """Resolve DIDs and dereference DID URLs to verification methods.

    ``web`` enables did:web resolution over the network with those options;
    without it did:web DIDs resolve only from ``documents``. ``documents``
    maps a DID or an HTTPS controller document URL (such as an Open Badges
    issuer profile URL) to its document. Its ``id`` must equal the key.
    ``methods`` adds or replaces resolvers by DID method name.
    """

    def __init__(
        self,
        *,
        web: DidWebOptions | None = None,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
        methods: Mapping[str, MethodResolver] | None = None,
    ) -> None:
        self._methods: dict[str, MethodResolver] = {"key": resolve_did_key}
        if web is not None:
            self._methods["web"] = lambda did: resolve_did_web(did, options=web)
        self._methods.update(methods or {})
        self._documents: dict[str, dict[str, Any]] = {}
        for identifier, document in (documents or {}).items():
            self._documents[identifier] = self._check_static(identifier, document)
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _check_static(identifier: object, document: object) -> dict[str, Any]:
        if not isinstance(identifier, str) or not (
            is_did(identifier) or _is_https_url(identifier)
        ):
            raise DidResolutionError(
                f"static document key {identifier!r} must be a DID or an https URL",
                error="invalidDid",
                value=identifier,
            )
        if not isinstance(document, Mapping):
            raise DidResolutionError(
                f"the static document for {identifier} must be a JSON object, "
                f"got {type(document).__name__}",
                error="invalidDidDocument",
            )
        if document.get("id") != identifier:
            raise DidResolutionError(
                f"the static document registered for {identifier} has id "
                f"{document.get('id')!r}; register each document under its own id",
                error="invalidDidDocument",
                value=document.get("id"),
            )
        return copy_document(document)

    # -- resolution -----------------------------------------------------------

    def resolve(self, did: str) -> dict[str, Any]:
        """Return the DID document (or registered controller document) of ``did``.

        The result is a copy, so changing it does not change the cache.
        """
        cached = self._cache.get(did) if isinstance(did, str) else None
        if cached is None:
            cached = self._resolve_uncached(did)
            with self._lock:
                cached = self._cache.setdefault(did, cached)
        return copy_document(cached)

    def _resolve_uncached(self, did: str) -> dict[str, Any]:
        static = self._documents.get(did) if isinstance(did, str) else None
        if static is not None:
            if is_did(did):
                return validate_did_document(copy_document(static), did=did)
            return static
        if isinstance(did, str) and _is_https_url(did):
            raise DidResolutionError(
                f"no controller document is registered for {did}; pass it in "
                "DidResolver(documents={url: document})",
                error="notFound",
                value=did,
            )
        parsed = parse_did(did)
        method_resolver = self._methods.get(parsed.method)
        if method_resolver is None:
            raise DidResolutionError(
                self._unsupported(parsed.method),
                error=("methodNotSupported"),
                value=did,
            )
        logger.debug("resolving %s", did)
        document = method_resolver(did)
        if not isinstance(document, Mapping) or document.get("id") != did:
            raise DidResolutionError(
                f"the did:{parsed.method} resolver returned a document whose id "
                f"is not {did}",
                error="invalidDidDocument",
                value=did,
            )
        return copy_document(document)

    def _unsupported(self, method: str) -> str:
        if method == "web":
            return (
                "did:web resolution is off because it fetches over the network; "
                "enable it with DidResolver(web=DidWebOptions()) or register the "
                "document with DidResolver(documents=...)"
            )
        supported = ", ".join(f"did:{name}" for name in sorted(self._methods))
        return f"the DID method did:{method} is not supported; supported: {supported}"

    # -- dereferencing ----------------------------------------------------------

    def dereference_verification_method(
        self, did_url: str, *, relationship: str
    ) -> VerificationMethod:
        """Find the verification method ``did_url`` names and check its purpose.

        ``relationship`` is the verification relationship the method is used
        for, such as ``assertionMethod`` for a credential's proof. The method
        may be embedded in that relationship or listed in
        ``verificationMethod`` and referenced from it, by absolute id or by a
        relative ``#fragment``.
        """
        if relationship not in VERIFICATION_RELATIONSHIPS:
            raise DidResolutionError(
                f"{relationship!r} is not a verification relationship; use one "
                f"of {', '.join(VERIFICATION_RELATIONSHIPS)}",
                error=_INVALID_RELATIONSHIP,
                value=relationship,
            )
        # Steps 1-3: split the URL into the document URL and the fragment.
        document_url = self._document_url(did_url)
        # Steps 4-6: dereference the document. Resolution checks its id.
        document = self.resolve(document_url)
        # Steps 7-9: find the method by its absolute id.
        method = self._find_method(document, did_url)
        if method is None:
            raise DidResolutionError(
                f"the document of {document_url} has no verification method {did_url}",
                error=_INVALID_METHOD,
                value=did_url,
            )
        # Step 10: the method's controller.
        controller = self._check_controller(document, method, did_url)
        # Step 11: the verification relationship.
        self._check_relationship(document, did_url, relationship)
        public_key = public_key_from_verification_method(method)
        return VerificationMethod(
            id=did_url,
            type=str(method["type"]),
            controller=controller,
            public_key=public_key,
            document={**method, "id": did_url},
        )

    @staticmethod
    def _document_url(did_url: object) -> str:
        if not isinstance(did_url, str):
            raise DidResolutionError(
                f"a verification method id must be a string, got "
                f"{type(did_url).__name__}",
                error="invalidDidUrl",
            )
        base, separator, fragment = did_url.partition("#")
        if not separator or not fragment:
            raise DidResolutionError(
                f"{did_url!r} has no fragment; a verification method id names "
                "one key in a document, such as 'did:example:123#key-1'",
                error="invalidDidUrl",
                value=did_url,
            )
        if _is_https_url(base):
            return base
        parsed = parse_did_url(did_url)
        if parsed.path or parsed.query is not None:
            raise DidResolutionError(
                f"{did_url!r} has a DID path or query; vcwork dereferences only "
                "'<did>#<fragment>' verification method ids",
                error="invalidDidUrl",
                value=did_url,
            )
        return parsed.did

    @staticmethod
    def _candidates(document: Mapping[str, Any]) -> Iterator[Any]:
        yield from _as_list(document.get("verificationMethod"))
        for name in VERIFICATION_RELATIONSHIPS:
            yield from _as_list(document.get(name))

    def _find_method(
        self, document: Mapping[str, Any], did_url: str
    ) -> dict[str, Any] | None:
        document_id = str(document["id"])
        for entry in self._candidates(document):
            if not isinstance(entry, dict):
                continue
            entry_id = entry.get("id")
            if isinstance(entry_id, str) and absolute_id(entry_id, document_id) == (
                did_url
            ):
                if not isinstance(entry.get("type"), str):
                    raise DidResolutionError(
                        f"verification method {did_url} has no type",
                        error=_INVALID_METHOD,
                        value=did_url,
                    )
                return entry
        return None

    @staticmethod
    def _check_controller(
        document: Mapping[str, Any], method: Mapping[str, Any], did_url: str
    ) -> str:
        document_id = str(document["id"])
        controller = method.get("controller")
        # Controlled Identifiers 1.0, "Retrieve Verification Method" step 10:
        # the method's controller must be the document it came from. A
        # document's own "controller" property names who may update the
        # document. It does not let this document speak for another DID, so a
        # method that claims another controller is rejected.
        if controller != document_id:
            raise DidResolutionError(
                f"verification method {did_url} has controller {controller!r}, but "
                f"it was found in the document of {document_id}; a key counts only "
                "for the DID whose document lists it",
                error=_INVALID_METHOD,
                value=controller,
            )
        return document_id

    @staticmethod
    def _check_relationship(
        document: Mapping[str, Any], did_url: str, relationship: str
    ) -> None:
        if did_url in _listed_ids(document, relationship):
            return
        listed = [
            name
            for name in VERIFICATION_RELATIONSHIPS
            if did_url in _listed_ids(document, name)
        ]
        where = f"; it is listed only under {', '.join(listed)}" if listed else ""
        raise DidResolutionError(
            f"verification method {did_url} is not authorized for {relationship} "
            f"in the document of {document['id']}{where}",
            error=_INVALID_RELATIONSHIP,
            value=did_url,
        )


def _listed_ids(document: Mapping[str, Any], relationship: str) -> set[str]:
    """Return the absolute ids of the methods listed under ``relationship``."""
    document_id = str(document["id"])
    ids = set()
    for entry in _as_list(document.get(relationship)):
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(entry_id, str):
            ids.add(absolute_id(entry_id, document_id))
    return ids


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
