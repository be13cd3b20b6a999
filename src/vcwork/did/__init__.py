"""Decentralized Identifiers: did:key, did:web, a resolver and DID URL dereferencing.

Importing this package stays cheap: httpx is imported only when a did:web
document is fetched, and pydid only when a document is validated.
"""

from .document import (
    DID_CONTEXT_V1,
    MULTIKEY_CONTEXT_V1,
    VERIFICATION_RELATIONSHIPS,
    VerificationMethod,
    public_key_from_verification_method,
    validate_did_document,
)
from .key import (
    create_did_key,
    did_key_from_key_pair,
    public_key_from_did_key,
    resolve_did_key,
)
from .resolver import DidResolver, MethodResolver
from .syntax import DidUrl, is_did, parse_did, parse_did_url
from .web import (
    DidWebOptions,
    create_did_web_document,
    did_web_to_url,
    resolve_did_web,
    url_to_did_web,
)

__all__ = [
    "DID_CONTEXT_V1",
    "MULTIKEY_CONTEXT_V1",
    "VERIFICATION_RELATIONSHIPS",
    "DidResolver",
    "DidUrl",
    "DidWebOptions",
    "MethodResolver",
    "VerificationMethod",
    "create_did_key",
    "create_did_web_document",
    "did_key_from_key_pair",
    "did_web_to_url",
    "is_did",
    "parse_did",
    "parse_did_url",
    "public_key_from_did_key",
    "public_key_from_verification_method",
    "resolve_did_key",
    "resolve_did_web",
    "url_to_did_web",
    "validate_did_document",
]
