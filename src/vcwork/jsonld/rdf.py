"""The RDF dataset shape shared by JSON-LD-to-RDF and RDFC-1.0.

Terms are plain tuples because canonicalization touches every term many
times: an IRI is ``("I", iri)``, a blank node ``("B", label)`` (no ``_:``),
a literal ``("L", lexical_form, datatype_iri, language_or_None)``. A quad is
``(subject, predicate, object, graph)`` with ``graph`` ``None`` for the
default graph.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = [
    "RDF_LANGSTRING",
    "RDF_TYPE",
    "XSD_STRING",
    "Quad",
    "Term",
]

Term: TypeAlias = tuple[str | None, ...]
Quad: TypeAlias = tuple[Term, Term, Term, Term | None]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
