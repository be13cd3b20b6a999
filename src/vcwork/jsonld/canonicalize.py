"""RDFC-1.0 canonical N-Quads of a JSON-LD document.

This first version delegates to pyld; a faster expansion-to-RDF path and an
RDFC-1.0 implementation of our own replace it behind the same function.
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from ..errors import DocumentLoaderError, ProofTransformationError
from .loader import BundledDocumentLoader, default_loader

__all__ = ["canonicalize"]


def canonicalize(document: Any, *, loader: BundledDocumentLoader | None = None) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document.

    Raises :class:`ProofTransformationError` when the document cannot be
    transformed, which includes a term that does not expand to an IRI and a
    relative IRI. A missing context raises :class:`DocumentLoaderError`.
    """
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader or default_loader(),
    }
    try:
        result: str = jsonld.normalize(document, options)
    except jsonld.JsonLdError as e:
        cause = _find_cause(e)
        if isinstance(cause, DocumentLoaderError):
            raise cause from e
        raise ProofTransformationError(f"JSON-LD processing failed: {e}") from e
    return result


def _find_cause(error: BaseException) -> BaseException | None:
    seen = 0
    current: Any = error
    while current is not None and seen < 20:
        if isinstance(current, DocumentLoaderError):
            return current
        current = getattr(current, "cause", None) or current.__cause__
        seen += 1
    return None
