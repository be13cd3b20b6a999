"""JSON-LD processing: the bundled document loader and RDFC-1.0 canonicalization."""

from __future__ import annotations

from .canonicalize import canonicalize
from .loader import BundledDocumentLoader, bundled_contexts_dir, default_loader

__all__ = [
    "BundledDocumentLoader",
    "bundled_contexts_dir",
    "canonicalize",
    "default_loader",
]
