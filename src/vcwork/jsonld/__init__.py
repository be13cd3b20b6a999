"""JSON-LD processing: the bundled document loader and RDFC-1.0 canonicalization."""

from __future__ import annotations

from .canonicalize import canonicalize
from .context import JsonLdError
from .loader import BundledDocumentLoader, bundled_contexts_dir, default_loader
from .rdfc import canonical_nquads, canonicalize_quads
from .to_rdf import to_rdf

__all__ = [
    "BundledDocumentLoader",
    "JsonLdError",
    "bundled_contexts_dir",
    "canonical_nquads",
    "canonicalize",
    "canonicalize_quads",
    "default_loader",
    "to_rdf",
]
