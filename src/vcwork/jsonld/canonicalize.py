"""RDFC-1.0 canonical N-Quads of a JSON-LD document.

The document goes through vcwork's own JSON-LD-to-RDF conversion in safe
mode (a term or type that does not expand, or a relative IRI, is an error
rather than silently dropped and so left unsigned), then through RDFC-1.0.
Both are checked against pyld, the JSON-LD toRdf suite and the RDFC-1.0
suite in the tests.
"""

from __future__ import annotations

from typing import Any

from .loader import BundledDocumentLoader, default_loader
from .rdfc import canonical_nquads
from .to_rdf import to_rdf

__all__ = ["canonicalize"]


def canonicalize(document: Any, *, loader: BundledDocumentLoader | None = None) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document.

    Raises :class:`vcwork.errors.ProofTransformationError` when the document
    cannot be transformed: a term that does not expand to an IRI, a relative
    IRI, or any JSON-LD processing error. A context that is not bundled
    raises :class:`vcwork.errors.DocumentLoaderError` naming its URL.
    """
    quads = to_rdf(document, loader=loader or default_loader(), safe=True)
    return canonical_nquads(quads)
