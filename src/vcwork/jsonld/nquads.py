"""Canonical N-Quads: serializing and parsing the dataset shape of :mod:`.rdf`.

Serialization follows "A Canonical form of N-Quads" in RDF Dataset
Canonicalization (RDFC-1.0, W3C Recommendation 2024-05-21, appendix A):

* one space after the subject, predicate, object and graph label, then ``.``
  and a single ``U+000A`` line feed;
* literals of datatype ``xsd:string`` carry no datatype IRI;
* inside a literal, ``U+0008 U+0009 U+000A U+000C U+000D U+0022 U+005C`` are
  written as ECHAR (``\\b \\t \\n \\f \\r \\" \\\\``), the other characters
  of ``U+0000``-``U+001F`` and ``U+007F`` as UCHAR ``\\uXXXX`` with upper-case
  hex digits, and every other character as itself;
* IRIs are written as they are, without any escaping.

IRIs and language tags are written unescaped. So a value that would change the
meaning of the output line, such as a ``>`` or a space in an IRI or a quote in a
language tag, raises :class:`~vcwork.errors.ProofTransformationError`.

The parser reads N-Quads documents (RDF 1.1 N-Quads grammar): IRIs, blank
nodes, literals with a datatype or language tag, ECHAR and UCHAR escapes,
comments and blank lines. It does not resolve relative IRIs, because N-Quads
allows only absolute ones, and it does not check IRIs beyond the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import ParsingError, ProofTransformationError
from .rdf import RDF_LANGSTRING, XSD_STRING, Quad, Term

__all__ = [
    "parse_nquads",
    "serialize_iri",
    "serialize_nquads",
    "serialize_quad",
    "serialize_term",
]

# -- Serialization ---------------------------------------------------------

# Canonical N-Quads: these seven characters use ECHAR, the rest of the C0
# controls and DEL use UCHAR with upper-case hex digits.
_ECHAR_ESCAPES = {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
_LITERAL_ESCAPES: dict[int, str] = {
    code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]
}
_LITERAL_ESCAPES.update(_ECHAR_ESCAPES)

# Checks run on the UTF-8 bytes because bytes.translate deletes the special
# bytes about 7 times faster than a regex search finds them (4000-character
# string, CPython 3.11). Every byte of a multi-byte UTF-8 sequence is 0x80 or
# above, so only ASCII characters match. Encoding also rejects lone surrogates.
_LITERAL_SPECIAL_BYTES = bytes([*range(0x20), 0x7F]) + b'"\\'

# IRIREF excludes these characters when they are not UCHAR-escaped. Canonical
# N-Quads writes IRIs unescaped, so an IRI containing one of them has no canonical
# form.
_IRI_FORBIDDEN_BYTES = bytes(range(0x21)) + b'<>"{}|^`\\'

_LANGUAGE_TAG = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*\Z")


def _has_bytes(value: str, special: bytes) -> bool:
    """Return True if ``value`` contains one of the ASCII bytes in ``special``.

    Raises ``UnicodeEncodeError`` for a lone surrogate.
    """
    encoded = value.encode("utf-8")
    return len(encoded.translate(None, special)) != len(encoded)


def _escape_lexical_form(value: str) -> str:
    try:
        needs_escape = _has_bytes(value, _LITERAL_SPECIAL_BYTES)
    except UnicodeEncodeError:
        raise ProofTransformationError(
            "Invalid literal: the lexical form contains an unpaired surrogate "
            "code point, which has no UTF-8 encoding; remove it from the input",
            value=value,
        ) from None
    if not needs_escape:
        return value
    return value.translate(_LITERAL_ESCAPES)


def serialize_iri(iri: str) -> str:
    """Serialize an IRI as ``<iri>``, rejecting one with no canonical form."""
    try:
        invalid = _has_bytes(iri, _IRI_FORBIDDEN_BYTES)
    except UnicodeEncodeError:
        invalid = True
    if invalid:
        raise ProofTransformationError(
            "Invalid IRI: it contains a space, a control character, an unpaired "
            'surrogate or one of <>"{}|^`\\ , so it has no canonical N-Quads '
            "form; fix the IRI in the input",
            value=iri,
        )
    return f"<{iri}>"


def _serialize_literal(term: Term) -> str:
    if len(term) == 4:
        _, lexical_form, datatype, language = term
        if isinstance(lexical_form, str) and isinstance(datatype, str):
            if language is None or isinstance(language, str):
                return _serialize_literal_parts(lexical_form, datatype, language)
    raise ProofTransformationError(
        "Invalid RDF literal: expected ('L', lexical_form, datatype, "
        "language_or_None) with string values",
        value=term,
    )


def _serialize_literal_parts(
    lexical_form: str, datatype: str, language: str | None
) -> str:
    quoted = f'"{_escape_lexical_form(lexical_form)}"'
    if language is not None:
        if _LANGUAGE_TAG.match(language) is None:
            raise ProofTransformationError(
                "Invalid language tag: expected letters and digits in "
                "hyphen-separated subtags such as 'en' or 'en-US'",
                value=language,
            )
        return f"{quoted}@{language}"
    if datatype == XSD_STRING:
        return quoted
    if datatype == RDF_LANGSTRING:
        raise ProofTransformationError(
            "Invalid RDF literal: the datatype is rdf:langString but the "
            "literal has no language tag",
            value=(lexical_form, datatype, language),
        )
    return f"{quoted}^^{serialize_iri(datatype)}"


def serialize_term(term: Term) -> str:
    """Serialize one RDF term in canonical N-Quads form.

    Raises :class:`ProofTransformationError` for a term that is not one of the
    shapes of :mod:`vcwork.jsonld.rdf` or has no canonical form.
    """
    kind = term[0] if isinstance(term, tuple) and term else None
    if kind == "I" and len(term) == 2:
        iri = term[1]
        if isinstance(iri, str):
            return serialize_iri(iri)
    if kind == "B" and len(term) == 2:
        label = term[1]
        if isinstance(label, str) and _BLANK_NODE_LABEL_TEXT.fullmatch(label):
            return f"_:{label}"
        raise ProofTransformationError(
            "Invalid blank node label: expected letters, digits, '_', '-' or "
            "'.' as in N-Quads BLANK_NODE_LABEL, without the '_:' prefix",
            value=term,
        )
    if kind == "L":
        return _serialize_literal(term)
    raise ProofTransformationError(
        "Invalid RDF term: expected ('I', iri), ('B', label) or "
        "('L', lexical_form, datatype, language_or_None)",
        value=term,
    )


def serialize_quad(quad: Quad) -> str:
    """Serialize one quad as a canonical N-Quads line, ending in ``\\n``.

    Blank nodes keep their labels. Canonicalization relabels them first (see
    :func:`vcwork.jsonld.rdfc.canonicalize_quads`).
    """
    try:
        subject, predicate, object_, graph = quad
    except (TypeError, ValueError):
        raise ProofTransformationError(
            "Invalid quad: expected (subject, predicate, object, graph_or_None)",
            value=quad,
        ) from None
    line = f"{serialize_term(subject)} {serialize_term(predicate)} "
    line += serialize_term(object_)
    if graph is None:
        return f"{line} .\n"
    return f"{line} {serialize_term(graph)} .\n"


def serialize_nquads(quads: Iterable[Quad]) -> str:
    """Serialize quads as canonical N-Quads lines, in the order given.

    This neither sorts nor removes duplicates, because the serialized canonical
    form of a dataset needs canonical blank node labels first. Use
    :func:`vcwork.jsonld.rdfc.canonical_nquads` for that.
    """
    return "".join(serialize_quad(quad) for quad in quads)


# -- Parsing ---------------------------------------------------------------

_HEX = "[0-9A-Fa-f]"
_UCHAR = f"\\\\u{_HEX}{{4}}|\\\\U{_HEX}{{8}}"
_ECHAR = "\\\\[tbnrf\"'\\\\]"
_IRIREF = f'<((?:[^\\x00-\\x20<>"{{}}|^`\\\\]|{_UCHAR})*)>'

# RDF 1.1 N-Quads grammar, productions PN_CHARS_BASE, PN_CHARS_U and PN_CHARS.
_PN_CHARS_BASE = (
    "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D"
    "\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF"
    "\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\U00010000-\\U000EFFFF"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_:"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040"
_BLANK_NODE_LABEL_PATTERN = f"[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_BLANK_NODE_LABEL = f"_:({_BLANK_NODE_LABEL_PATTERN})"
_BLANK_NODE_LABEL_TEXT = re.compile(_BLANK_NODE_LABEL_PATTERN)
_LITERAL = (
    f'"((?:[^"\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*)"'
    f"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\\^\\^{_IRIREF})?"
)

# Indexes into match.groups(): 0-1 subject (IRI, blank node), 2 predicate,
# 3-7 object (IRI, blank node, lexical form, language, datatype), 8-9 graph.
_STATEMENT = re.compile(
    "[ \\t]*(?:"
    f"(?:{_IRIREF}|{_BLANK_NODE_LABEL})[ \\t]*"
    f"{_IRIREF}[ \\t]*"
    f"(?:{_IRIREF}|{_BLANK_NODE_LABEL}|{_LITERAL})[ \\t]*"
    f"(?:(?:{_IRIREF}|{_BLANK_NODE_LABEL})[ \\t]*)?"
    "\\.[ \\t]*)?(?:#.*)?"
)

# Groups: 1 \u hex digits, 2 \U hex digits, 3 the ECHAR character.
_ESCAPE = re.compile(f"\\\\u({_HEX}{{4}})|\\\\U({_HEX}{{8}})|\\\\([tbnrf\"'\\\\])")
_ECHAR_VALUES = {
    "t": "\t",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}


def _unescape_match(match: re.Match[str]) -> str:
    hex_digits = match.group(1) or match.group(2)
    if hex_digits is None:
        return _ECHAR_VALUES[match.group(3)]
    code = int(hex_digits, 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise ValueError(match.group())
    return chr(code)


def _unescape(value: str, line_number: int) -> str:
    if "\\" not in value:
        return value
    try:
        return _ESCAPE.sub(_unescape_match, value)
    except ValueError as e:
        raise ParsingError(
            f"Invalid N-Quads on line {line_number}: the escape {e} is not a "
            "Unicode scalar value (surrogate or above U+10FFFF)",
            value=value,
        ) from None


def _iri(value: str, line_number: int) -> str:
    iri = _unescape(value, line_number)
    if iri is not value and _has_bytes(iri, _IRI_FORBIDDEN_BYTES):
        raise ParsingError(
            f"Invalid N-Quads on line {line_number}: an escape in the IRI "
            'produces a space, control character or one of <>"{}|^`\\ , '
            "which IRIs cannot contain",
            value=value,
        )
    return iri


def _node(iri: str | None, label: str | None, line_number: int) -> Term:
    if iri is not None:
        return ("I", _iri(iri, line_number))
    return ("B", str(label))


def parse_nquads(text: str) -> list[Quad]:
    """Parse an N-Quads document into quads in the shape of :mod:`.rdf`.

    Lines end at ``\\n``, ``\\r`` or ``\\r\\n``. Duplicate statements are kept,
    because canonicalization removes them. Raises
    :class:`~vcwork.errors.ParsingError` naming the first malformed line.
    """
    quads: list[Quad] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line_number, line in enumerate(lines, start=1):
        match = _STATEMENT.fullmatch(line)
        if match is None:
            raise ParsingError(
                f"Invalid N-Quads on line {line_number}: expected 'subject "
                "predicate object [graph] .' with IRIs in <>, blank nodes as "
                "_:label and literals in double quotes",
                value=line,
            )
        groups = match.groups()
        if groups[2] is None:
            continue  # blank line or comment
        subject = _node(groups[0], groups[1], line_number)
        predicate: Term = ("I", _iri(groups[2], line_number))
        object_: Term
        if groups[3] is not None or groups[4] is not None:
            object_ = _node(groups[3], groups[4], line_number)
        else:
            lexical_form = _unescape(groups[5], line_number)
            language = groups[6]
            if language is not None:
                object_ = ("L", lexical_form, RDF_LANGSTRING, language)
            elif groups[7] is not None:
                datatype = _iri(groups[7], line_number)
                object_ = ("L", lexical_form, datatype, None)
            else:
                object_ = ("L", lexical_form, XSD_STRING, None)
        graph: Term | None = None
        if groups[8] is not None or groups[9] is not None:
            graph = _node(groups[8], groups[9], line_number)
        quads.append((subject, predicate, object_, graph))
    return quads
