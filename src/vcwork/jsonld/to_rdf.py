"""JSON-LD 1.1 to an RDF dataset: Expansion, then Deserialize JSON-LD to RDF.

Implements the Expansion algorithm (section 5.1.2) and Value Expansion
(section 5.3.2) of the JSON-LD 1.1 Processing Algorithms and API
(https://www.w3.org/TR/json-ld11-api/). The expanded document then becomes
quads in one walk that follows Node Map Generation (section 7.2.2) and
Deserialize JSON-LD to RDF (section 8.1.2). Step numbers in comments refer to
that document. Context processing and its cache live in :mod:`.context`.

In safe mode (the default), anything the algorithms would drop without an
error raises :class:`ProofTransformationError` naming the key or value and its
JSON path, because a proof over the RDF dataset would not cover it. These are
the conditions Digital Bazaar's jsonld.js (v8) rejects with ``safe: true``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, Final

import rfc8785

from ..errors import ProofTransformationError
from .context import (
    ABSENT,
    JSON_LD_1_0,
    JSON_LD_1_1,
    KEYWORDS,
    Absent,
    ActiveContext,
    JsonLdError,
    TermDefinition,
    initial_context,
    is_absolute_iri,
    is_keyword_form,
)
from .loader import BundledDocumentLoader, default_loader
from .rdf import RDF_LANGSTRING, RDF_TYPE, XSD_STRING, Quad, Term

__all__ = ["JsonLdError", "to_rdf"]

RDF_FIRST: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
RDF_NIL: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
RDF_JSON: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
XSD_BOOLEAN: Final = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"
XSD_INTEGER: Final = "http://www.w3.org/2001/XMLSchema#integer"
I18N_BASE: Final = "https://www.w3.org/ns/i18n#"

_RDF_TYPE_TERM: Final[Term] = ("I", RDF_TYPE)
_RDF_FIRST_TERM: Final[Term] = ("I", RDF_FIRST)
_RDF_REST_TERM: Final[Term] = ("I", RDF_REST)
_RDF_NIL_TERM: Final[Term] = ("I", RDF_NIL)

# BCP 47 language tags, checked only for their general shape as the JSON-LD
# test suite does: subtags of 1 to 8 letters or digits, the first letters only.
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_VALUE_OBJECT_KEYS: Final = frozenset(
    {"@direction", "@index", "@language", "@type", "@value"}
)
_GRAPH_OBJECT_KEYS: Final = frozenset({"@graph", "@id", "@index", "@context"})
_MAP_CONTAINERS: Final = frozenset({"@id", "@index", "@type"})
_EMPTY: Final[frozenset[str]] = frozenset()
_RDF_DIRECTIONS: Final = (None, "i18n-datatype")

Path = tuple[str | int, ...]


# Nesting of JSON objects and arrays that expansion accepts. Expansion recurses
# several frames per level, and the process-wide recursion limit cannot be
# relied on (web3 raises it to 100,000, past what the C stack holds).
MAX_NESTING_DEPTH = 100


def _nesting_depth(value: Any) -> int:
    """Return the nesting depth of JSON containers in ``value``, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def to_rdf(
    document: Any,
    *,
    loader: BundledDocumentLoader | None = None,
    safe: bool = True,
    base: str | None = None,
    processing_mode: str = JSON_LD_1_1,
    rdf_direction: str | None = None,
) -> list[Quad]:
    """Expand a JSON-LD document and return its RDF dataset as a list of quads.

    ``loader`` serves remote contexts (the bundled contexts by default); its
    :class:`DocumentLoaderError` for an unknown URL propagates. ``safe``
    rejects anything that expansion or RDF conversion would drop silently.
    ``base`` is the document's base IRI; without it relative IRIs stay
    relative (and raise in safe mode). ``rdf_direction`` is ``None`` (a
    ``@direction`` is dropped, or rejected in safe mode) or
    ``"i18n-datatype"``. Blank nodes are labelled ``b0``, ``b1``, ... in the
    order the walk meets them. Duplicate quads are removed.

    Raises :class:`JsonLdError` (a :class:`ProofTransformationError`) for a
    JSON-LD processing error and :class:`ProofTransformationError` for a
    safe-mode violation.
    """
    if processing_mode not in (JSON_LD_1_0, JSON_LD_1_1):
        raise ValueError(
            f"processing_mode must be {JSON_LD_1_0!r} or {JSON_LD_1_1!r}, "
            f"got {processing_mode!r}"
        )
    if rdf_direction not in _RDF_DIRECTIONS:
        raise ValueError(
            f"rdf_direction must be None or 'i18n-datatype', got {rdf_direction!r}"
        )
    if _nesting_depth(document) > MAX_NESTING_DEPTH:
        raise ProofTransformationError(
            f"the JSON-LD document nests too deeply to process (more than "
            f"{MAX_NESTING_DEPTH} levels of objects and arrays)"
        )
    loader = loader or default_loader()
    active = initial_context(loader, base=base, mode=processing_mode)
    expander = _Expander(loader, safe=safe, rdf_direction=rdf_direction)
    writer = _RdfWriter(safe=safe, rdf_direction=rdf_direction)
    try:
        for node in expander.expand_document(active, document, base):
            writer.write_node(node, None)
    except RecursionError as e:
        raise ProofTransformationError(
            "the JSON-LD document nests too deeply to process"
        ) from e
    except (TypeError, AttributeError) as e:
        # Input that did not come from a JSON parser, such as non-string keys.
        raise ProofTransformationError(
            f"the JSON-LD document is not made of JSON values: {e}"
        ) from e
    return list(dict.fromkeys(writer.quads))


def format_path(path: Path) -> str:
    """Render a JSON path such as ``credentialSubject.achievement[0].name``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += "." + part
        else:
            text = part
    return text or "the document root"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _is_graph_object(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "@graph" in value
        and set(value) <= _GRAPH_OBJECT_KEYS
    )


def _is_node_or_reference(value: Any) -> bool:
    return isinstance(value, dict) and not (
        "@value" in value or "@list" in value or "@set" in value
    )


class _Expander:
    """The Expansion algorithm for one document."""

    def __init__(
        self,
        loader: BundledDocumentLoader,
        *,
        safe: bool,
        rdf_direction: str | None,
    ) -> None:
        self.loader = loader
        self.safe = safe
        self.rdf_direction = rdf_direction

    # -- safe mode ---------------------------------------------------------

    def reject(self, message: str, path: Path, value: Any) -> None:
        """Raise the safe-mode error for something expansion would drop."""
        where = format_path(path)
        raise ProofTransformationError(
            f"{message} at {where}; a proof would not cover it",
            property=format_path(path) if path else None,
            value=value,
        )

    def check_node_iri(self, iri: str | None, value: Any, path: Path) -> None:
        if iri is None:
            self.reject(f"@id value {value!r} has the form of a keyword", path, value)
        elif not (iri.startswith("_:") or is_absolute_iri(iri)):
            self.reject(
                f"IRI {value!r} is relative (or not a well-formed IRI) and there "
                "is no base IRI to resolve it; use an absolute IRI",
                path,
                value,
            )

    def check_type_iri(self, iri: str | None, value: Any, path: Path) -> None:
        if iri == "@json":
            return
        if iri is None or not (iri.startswith("_:") or is_absolute_iri(iri)):
            self.reject(
                f"type {value!r} is not defined by the active context and does "
                "not expand to an absolute IRI; define it in a @context or use "
                "an absolute IRI",
                path,
                value,
            )

    def check_language(self, language: str, path: Path) -> None:
        if _LANGUAGE_TAG.fullmatch(language) is None:
            self.reject(
                f"language tag {language!r} is not well-formed (BCP 47), so the "
                "RDF conversion would drop the value",
                path,
                language,
            )

    def check_direction(self, direction: Any, path: Path) -> None:
        if self.rdf_direction is None:
            self.reject(
                f"base direction {direction!r} has no RDF form unless "
                "rdf_direction='i18n-datatype' is set",
                path,
                direction,
            )

    # -- algorithm -----------------------------------------------------------

    def expand_document(
        self, active: ActiveContext, document: Any, base_url: str | None
    ) -> list[Any]:
        """Expand a whole document (JSON-LD 1.1 API, section 9.2.2, expand())."""
        result = self.expand(active, None, document, base_url, ())
        # The final steps of expand(): unwrap a lone @graph and return an array.
        if isinstance(result, dict) and set(result) == {"@graph"}:
            result = result["@graph"]
        if result is None:
            return []
        return _as_list(result)

    def expand(
        self,
        active: ActiveContext,
        active_property: str | None,
        element: Any,
        base_url: str | None,
        path: Path,
        from_map: bool = False,
    ) -> Any:
        """Expansion (JSON-LD 1.1 API, section 5.1.2)."""
        # Step 1.
        if element is None:
            return None

        # Step 3.
        definition = (
            active.terms.get(active_property) if active_property is not None else None
        )

        # Step 4: a scalar.
        if not isinstance(element, (dict, list)):
            if active_property is None or active_property == "@graph":
                if self.safe:
                    self.reject(f"free-floating value {element!r}", path, element)
                return None
            if definition is not None and definition.context is not ABSENT:
                active = active.derive(
                    definition.context,
                    definition.base_url,
                    loader=self.loader,
                    context_key=definition.context_key,
                )
            return self.expand_value(active, active_property, element, path)

        # Step 5: an array.
        if isinstance(element, list):
            is_list_container = (
                definition is not None and "@list" in definition.container
            )
            items: list[Any] = []
            for index, item in enumerate(element):
                expanded = self.expand(
                    active, active_property, item, base_url, (*path, index), from_map
                )
                if is_list_container and isinstance(expanded, list):
                    expanded = {"@list": expanded}
                if isinstance(expanded, list):
                    items.extend(expanded)
                elif expanded is not None:
                    items.append(expanded)
            return items

        # Step 6: a map.
        return self.expand_map(
            active, active_property, definition, element, base_url, path, from_map
        )

    def expand_map(
        self,
        active: ActiveContext,
        active_property: str | None,
        definition: TermDefinition | None,
        element: dict[str, Any],
        base_url: str | None,
        path: Path,
        from_map: bool,
    ) -> Any:
        # Step 7: a type-scoped context does not reach into new node objects.
        if active.previous is not None and not from_map:
            expanded_keys = [active.expand_vocab_iri(key) for key in element]
            if "@value" not in expanded_keys and expanded_keys != ["@id"]:
                active = active.previous

        # Step 8: the property-scoped context.
        if definition is not None and definition.context is not ABSENT:
            active = active.derive(
                definition.context,
                definition.base_url,
                loader=self.loader,
                override_protected=True,
                context_key=definition.context_key,
            )

        # Step 9: the embedded context.
        if "@context" in element:
            active = active.derive(element["@context"], base_url, loader=self.loader)

        # Step 10.
        type_scoped = active

        # Step 11: type-scoped contexts, applied in lexicographical order.
        type_keys = sorted(
            key for key in element if active.expand_vocab_iri(key) == "@type"
        )
        for key in type_keys:
            terms = sorted(
                value for value in _as_list(element[key]) if isinstance(value, str)
            )
            for term in terms:
                scoped = type_scoped.terms.get(term)
                if scoped is not None and scoped.context is not ABSENT:
                    active = active.derive(
                        scoped.context,
                        scoped.base_url,
                        loader=self.loader,
                        propagate=False,
                        context_key=scoped.context_key,
                    )

        # Step 12.
        input_type = None
        if type_keys:
            last = _as_list(element[type_keys[0]])
            if last and isinstance(last[-1], str):
                input_type = active.expand_vocab_iri(last[-1])
        result: dict[str, Any] = {}

        # Steps 13 and 14.
        self.expand_entries(
            active,
            type_scoped,
            active_property,
            element,
            result,
            input_type,
            base_url,
            path,
        )
        return self.finish_map(active, active_property, result, path)

    def expand_entries(
        self,
        active: ActiveContext,
        type_scoped: ActiveContext,
        active_property: str | None,
        element: dict[str, Any],
        result: dict[str, Any],
        input_type: str | None,
        base_url: str | None,
        path: Path,
    ) -> None:
        """Steps 13 and 14 of Expansion: expand each entry of ``element``."""
        nests: list[str] = []
        for key, value in element.items():
            # Step 13.1.
            if key == "@context":
                continue

            # Steps 13.2 and 13.3.
            expanded_property = active.expand_vocab_iri(key)
            if expanded_property is None or (
                ":" not in expanded_property and expanded_property not in KEYWORDS
            ):
                if self.safe:
                    self.reject_property(active, key, value, (*path, key))
                continue

            # Step 13.4.
            if expanded_property in KEYWORDS:
                if expanded_property == "@nest":
                    nests.append(key)
                    continue
                self.expand_keyword(
                    active,
                    type_scoped,
                    active_property,
                    key,
                    expanded_property,
                    value,
                    result,
                    input_type,
                    base_url,
                    (*path, key),
                )
                continue
            if self.safe and not is_absolute_iri(expanded_property):
                self.reject(
                    f"property {key!r} expands to {expanded_property!r}, which is "
                    "not an absolute IRI",
                    (*path, key),
                    key,
                )
            self.expand_property(
                active, key, expanded_property, value, result, base_url, (*path, key)
            )

        # Step 14: nested properties, with the nesting term's scoped context.
        for nesting_key in sorted(nests):
            nest_context = active
            nest_definition = active.terms.get(nesting_key)
            if nest_definition is not None and nest_definition.context is not ABSENT:
                nest_context = active.derive(
                    nest_definition.context,
                    nest_definition.base_url,
                    loader=self.loader,
                    override_protected=True,
                    context_key=nest_definition.context_key,
                )
            for index, nested in enumerate(_as_list(element[nesting_key])):
                nested_path = (*path, nesting_key, index)
                if not isinstance(nested, dict) or any(
                    active.expand_vocab_iri(key) == "@value" for key in nested
                ):
                    raise JsonLdError(
                        "invalid @nest value",
                        f"the value of {nesting_key!r} must be an object of properties",
                        property=format_path(nested_path),
                        value=nested,
                    )
                self.expand_entries(
                    nest_context,
                    type_scoped,
                    active_property,
                    nested,
                    result,
                    input_type,
                    base_url,
                    nested_path,
                )

    def reject_property(
        self, active: ActiveContext, key: str, value: Any, path: Path
    ) -> None:
        if is_keyword_form(key):
            reason = f"key {key!r} has the form of a keyword but is not one"
        elif key in active.terms:
            reason = f"term {key!r} is mapped to null by the active context"
        else:
            reason = (
                f"property {key!r} is not defined by the active context and does "
                "not expand to an absolute IRI; define it in a @context or use an "
                "absolute IRI"
            )
        self.reject(reason, path, key)

    def expand_keyword(
        self,
        active: ActiveContext,
        type_scoped: ActiveContext,
        active_property: str | None,
        key: str,
        keyword: str,
        value: Any,
        result: dict[str, Any],
        input_type: str | None,
        base_url: str | None,
        path: Path,
    ) -> None:
        """Step 13.4 of Expansion: an entry whose key expands to a keyword."""
        mode = active.mode

        # Step 13.4.1.
        if active_property == "@reverse":
            raise JsonLdError(
                "invalid reverse property map",
                f"a @reverse map cannot contain the keyword {keyword}",
                property=format_path(path),
            )

        # Step 13.4.2.
        if keyword in result and (
            mode == JSON_LD_1_0 or keyword not in ("@included", "@type")
        ):
            raise JsonLdError(
                "colliding keywords",
                f"{keyword} appears more than once (through an alias)",
                property=format_path(path),
            )
        expanded_value: Any
        if keyword == "@id":
            # Step 13.4.3.
            if not isinstance(value, str):
                raise JsonLdError(
                    "invalid @id value",
                    f"@id must be a string, got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            expanded_value = active.expand_document_iri(value)
            if self.safe:
                self.check_node_iri(expanded_value, value, path)
            # A keyword-shaped @id expands to null; finish_map drops the object.
        elif keyword == "@type":
            expanded_value = self.expand_type_value(type_scoped, value, result, path)
        elif keyword == "@graph":
            # Step 13.4.5.
            expanded_value = _as_list(
                self.expand(active, "@graph", value, base_url, path)
            )
        elif keyword == "@included":
            # Step 13.4.6.
            if mode == JSON_LD_1_0:
                if self.safe:
                    self.reject("@included needs JSON-LD 1.1", path, key)
                return
            expanded_value = _as_list(self.expand(active, None, value, base_url, path))
            if not all(_is_node_or_reference(item) for item in expanded_value):
                raise JsonLdError(
                    "invalid @included value",
                    "@included must contain node objects only",
                    property=format_path(path),
                )
            expanded_value = result.get("@included", []) + expanded_value
        elif keyword == "@value":
            # Step 13.4.7.
            if input_type == "@json":
                if mode == JSON_LD_1_0:
                    raise JsonLdError(
                        "invalid value object value",
                        "JSON literals need JSON-LD 1.1",
                        property=format_path(path),
                    )
                expanded_value = value
            elif value is not None and not _is_scalar(value):
                raise JsonLdError(
                    "invalid value object value",
                    f"@value must be a string, number, boolean or null, got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            else:
                expanded_value = value
            if expanded_value is None:
                result["@value"] = None
                return
        elif keyword == "@language":
            # Step 13.4.8.
            if not isinstance(value, str):
                raise JsonLdError(
                    "invalid language-tagged string",
                    f"@language must be a string, got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            if self.safe:
                self.check_language(value, path)
            expanded_value = value.lower()
        elif keyword == "@direction":
            # Step 13.4.9.
            if mode == JSON_LD_1_0:
                if self.safe:
                    self.reject("@direction needs JSON-LD 1.1", path, key)
                return
            if value not in ("ltr", "rtl"):
                raise JsonLdError(
                    "invalid base direction",
                    f"@direction must be 'ltr' or 'rtl', got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            if self.safe:
                self.check_direction(value, path)
            expanded_value = value
        elif keyword == "@index":
            # Step 13.4.10.
            if not isinstance(value, str):
                raise JsonLdError(
                    "invalid @index value",
                    f"@index must be a string, got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            expanded_value = value
        elif keyword == "@list":
            # Step 13.4.11.
            if active_property is None or active_property == "@graph":
                if self.safe:
                    self.reject("free-floating list", path, key)
                return
            expanded_value = _as_list(
                self.expand(active, active_property, value, base_url, path)
            )
        elif keyword == "@set":
            # Step 13.4.12.
            expanded_value = self.expand(active, active_property, value, base_url, path)
        elif keyword == "@reverse":
            # Step 13.4.13.
            self.expand_reverse(active, value, result, base_url, path)
            return
        else:
            # Framing keywords and keywords that only belong in a context.
            if self.safe:
                self.reject(f"keyword {keyword} is not allowed here", path, key)
            return

        # Step 13.4.16.
        result[keyword] = expanded_value

    def expand_type_value(
        self,
        type_scoped: ActiveContext,
        value: Any,
        result: dict[str, Any],
        path: Path,
    ) -> Any:
        # Step 13.4.4 of Expansion: types expand with the type-scoped context.
        if isinstance(value, str):
            expanded = type_scoped.expand_type_iri(value)
            if self.safe:
                self.check_type_iri(expanded, value, path)
            expanded_value: Any = expanded
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            expanded_value = []
            for index, item in enumerate(value):
                expanded = type_scoped.expand_type_iri(item)
                if self.safe:
                    self.check_type_iri(expanded, item, (*path, index))
                if expanded is not None:
                    expanded_value.append(expanded)
        else:
            raise JsonLdError(
                "invalid type value",
                f"@type must be a string or an array of strings, got {value!r}",
                property=format_path(path),
                value=value,
            )
        if "@type" in result:
            expanded_value = _as_list(result["@type"]) + _as_list(expanded_value)
        return expanded_value

    def expand_reverse(
        self,
        active: ActiveContext,
        value: Any,
        result: dict[str, Any],
        base_url: str | None,
        path: Path,
    ) -> None:
        # Step 13.4.13 of Expansion.
        if not isinstance(value, dict):
            raise JsonLdError(
                "invalid @reverse value",
                f"@reverse must be an object, got {value!r}",
                property=format_path(path),
                value=value,
            )
        expanded = self.expand(active, "@reverse", value, base_url, path)
        if not isinstance(expanded, dict):
            return

        # Step 13.4.13.3: a double reverse is a forward property.
        for property, items in expanded.get("@reverse", {}).items():
            result.setdefault(property, []).extend(items)
        others = [key for key in expanded if key != "@reverse"]
        if not others:
            return
        reverse_map = result.setdefault("@reverse", {})
        for property in others:
            for item in expanded[property]:
                if "@value" in item or "@list" in item:
                    raise JsonLdError(
                        "invalid reverse property value",
                        "a reverse property cannot have a value or list object",
                        property=format_path(path),
                    )
                reverse_map.setdefault(property, []).append(item)

    def expand_property(
        self,
        active: ActiveContext,
        key: str,
        expanded_property: str,
        value: Any,
        result: dict[str, Any],
        base_url: str | None,
        path: Path,
    ) -> None:
        """Steps 13.5 to 13.14 of Expansion: an entry whose key is a property."""
        definition = active.terms.get(key)
        container = definition.container if definition is not None else _EMPTY

        # Steps 13.6 to 13.9.
        expanded_value: Any
        if definition is not None and definition.type == "@json":
            expanded_value = {"@value": value, "@type": "@json"}
        elif "@language" in container and isinstance(value, dict):
            expanded_value = self.expand_language_map(active, definition, value, path)
        elif container & _MAP_CONTAINERS and isinstance(value, dict):
            expanded_value = self.expand_index_map(
                active, key, container, definition, value, base_url, path
            )
        else:
            expanded_value = self.expand(active, key, value, base_url, path)

        # Step 13.10.
        if expanded_value is None:
            return

        # Step 13.11.
        if "@list" in container and not (
            isinstance(expanded_value, dict) and "@list" in expanded_value
        ):
            expanded_value = {"@list": _as_list(expanded_value)}

        # Step 13.12.
        if (
            "@graph" in container
            and "@id" not in container
            and "@index" not in container
        ):
            expanded_value = [
                {"@graph": _as_list(item)} for item in _as_list(expanded_value)
            ]

        # Step 13.13.
        if definition is not None and definition.reverse:
            reverse_map = result.setdefault("@reverse", {})
            for item in _as_list(expanded_value):
                if "@value" in item or "@list" in item:
                    raise JsonLdError(
                        "invalid reverse property value",
                        f"reverse property {key!r} cannot have a value or list object",
                        property=format_path(path),
                    )
                reverse_map.setdefault(expanded_property, []).append(item)
            return

        # Step 13.14.
        existing = result.get(expanded_property)
        if existing is None:
            result[expanded_property] = (
                expanded_value if isinstance(expanded_value, list) else [expanded_value]
            )
        elif isinstance(expanded_value, list):
            existing.extend(expanded_value)
        else:
            existing.append(expanded_value)

    def expand_language_map(
        self,
        active: ActiveContext,
        definition: TermDefinition | None,
        value: dict[str, Any],
        path: Path,
    ) -> list[Any]:
        # Step 13.7 of Expansion.
        items: list[Any] = []
        direction = active.direction
        if definition is not None and not isinstance(definition.direction, Absent):
            direction = definition.direction
        for language, language_value in value.items():
            item_path = (*path, language)
            is_none = active.expand_vocab_iri(language) == "@none"
            for item in _as_list(language_value):
                if item is None:
                    continue
                if not isinstance(item, str):
                    raise JsonLdError(
                        "invalid language map value",
                        f"a language map value must be a string, got {item!r}",
                        property=format_path(item_path),
                        value=item,
                    )
                expanded: dict[str, Any] = {"@value": item}
                if not is_none:
                    if self.safe:
                        self.check_language(language, item_path)
                    expanded["@language"] = language.lower()
                if direction is not None:
                    if self.safe:
                        self.check_direction(direction, item_path)
                    expanded["@direction"] = direction
                items.append(expanded)
        return items

    def expand_index_map(
        self,
        active: ActiveContext,
        key: str,
        container: frozenset[str],
        definition: TermDefinition | None,
        value: dict[str, Any],
        base_url: str | None,
        path: Path,
    ) -> list[Any]:
        # Step 13.8 of Expansion: @index, @id and @type maps.
        items: list[Any] = []
        index_key = (
            definition.index
            if definition is not None and definition.index is not None
            else "@index"
        )
        for index, index_value in value.items():
            item_path = (*path, index)

            # Steps 13.8.3.1 to 13.8.3.3.
            map_context = active
            if "@type" in container:
                outer = active.previous or active
                scoped = outer.terms.get(index)
                if scoped is not None and scoped.context is not ABSENT:
                    map_context = outer.derive(
                        scoped.context,
                        scoped.base_url,
                        loader=self.loader,
                        context_key=scoped.context_key,
                    )

            # Step 13.8.3.4.
            expanded_index = active.expand_vocab_iri(index)

            # Step 13.8.3.6.
            expanded_items = self.expand(
                map_context, key, _as_list(index_value), base_url, item_path, True
            )
            for item in expanded_items:
                items.append(
                    self.add_map_key(
                        active,
                        container,
                        index_key,
                        index,
                        expanded_index,
                        item,
                        item_path,
                    )
                )
        return items

    def add_map_key(
        self,
        active: ActiveContext,
        container: frozenset[str],
        index_key: str,
        index: str,
        expanded_index: str | None,
        item: Any,
        path: Path,
    ) -> Any:
        # Step 13.8.3.7 of Expansion.
        if "@graph" in container and not _is_graph_object(item):
            item = {"@graph": _as_list(item)}
        if expanded_index == "@none":
            return item
        if "@index" in container and index_key != "@index":
            # Step 13.8.3.7.2: the index is the value of a property.
            re_expanded = self.expand_value(active, index_key, index, path)
            property_iri = active.expand_vocab_iri(index_key)
            if property_iri is None or ":" not in property_iri:
                raise JsonLdError(
                    "invalid term definition",
                    f"@index {index_key!r} does not expand to an IRI",
                    property=format_path(path),
                )
            if "@value" in item:
                raise JsonLdError(
                    "invalid value object",
                    f"a value object under an index map on {index_key!r} "
                    "cannot take the index as a property",
                    property=format_path(path),
                )
            item[property_iri] = [re_expanded, *_as_list(item.get(property_iri, []))]
        elif "@index" in container and "@index" not in item:
            item["@index"] = index
        elif "@id" in container and "@id" not in item:
            iri = active.expand_document_iri(index)
            if self.safe:
                self.check_node_iri(iri, index, path)
            item["@id"] = iri
        elif "@type" in container:
            if self.safe:
                self.check_type_iri(expanded_index, index, path)
            item["@type"] = [expanded_index, *_as_list(item.get("@type", []))]
        return item

    def finish_map(
        self,
        active: ActiveContext,
        active_property: str | None,
        result: dict[str, Any],
        path: Path,
    ) -> Any:
        """Steps 15 to 20 of Expansion."""
        if "@id" in result and result["@id"] is None:
            return None
        if "@value" in result:
            # Step 15.
            value = result["@value"]
            datatype = result.get("@type")
            if not set(result) <= _VALUE_OBJECT_KEYS or (
                "@type" in result and ("@language" in result or "@direction" in result)
            ):
                raise JsonLdError(
                    "invalid value object",
                    f"a value object cannot have the entries {sorted(result)}",
                    property=format_path(path),
                )
            if datatype == "@json":
                pass
            elif value is None:
                if self.safe and len(result) > 1:
                    self.reject("a value object with a null @value", path, None)
                return None
            elif not isinstance(value, str) and "@language" in result:
                raise JsonLdError(
                    "invalid language-tagged value",
                    f"a value with @language must be a string, got {value!r}",
                    property=format_path(path),
                    value=value,
                )
            elif datatype is not None and (
                not isinstance(datatype, str) or not is_absolute_iri(datatype)
            ):
                raise JsonLdError(
                    "invalid typed value",
                    f"the @type of a value must be an absolute IRI, got {datatype!r}",
                    property=format_path(path),
                    value=datatype,
                )
        elif "@type" in result:
            # Step 16.
            if not isinstance(result["@type"], list):
                result["@type"] = [result["@type"]]
        elif "@set" in result or "@list" in result:
            # Step 17.
            if len(result) > 2 or (len(result) == 2 and "@index" not in result):
                raise JsonLdError(
                    "invalid set or list object",
                    f"a @set or @list object cannot have the entries {sorted(result)}",
                    property=format_path(path),
                )
            if "@set" in result:
                return result["@set"]

        # Step 18.
        if len(result) == 1 and "@language" in result:
            if self.safe:
                self.reject("an object with only @language", path, result["@language"])
            return None

        # Step 19: drop free-floating values at the top level and in @graph.
        if active_property is None or active_property == "@graph":
            if not result:
                return None
            if "@value" in result or "@list" in result:
                if self.safe:
                    self.reject("free-floating value or list", path, None)
                return None
            if len(result) == 1 and "@id" in result:
                if self.safe:
                    self.reject(
                        f"node {result['@id']!r} has no properties and no RDF form",
                        path,
                        result["@id"],
                    )
                return None
        return result

    def expand_value(
        self, active: ActiveContext, active_property: str, value: Any, path: Path
    ) -> Any:
        """Value Expansion (JSON-LD 1.1 API, section 5.3.2)."""
        definition = active.terms.get(active_property)
        type_mapping = definition.type if definition is not None else None

        # Steps 1 and 2.
        if isinstance(value, str) and type_mapping in ("@id", "@vocab"):
            if type_mapping == "@id":
                iri = active.expand_document_iri(value)
            else:
                iri = active.expand_type_iri(value)
            if self.safe:
                self.check_node_iri(iri, value, path)
            if iri is None:
                return None
            return {"@id": iri}

        # Step 3.
        result: dict[str, Any] = {"@value": value}

        # Steps 4 and 5.
        if type_mapping is not None and type_mapping not in ("@id", "@vocab", "@none"):
            result["@type"] = type_mapping
        elif isinstance(value, str):
            language = active.language
            direction = active.direction
            if definition is not None:
                if not isinstance(definition.language, Absent):
                    language = definition.language
                if not isinstance(definition.direction, Absent):
                    direction = definition.direction
            if language is not None:
                if self.safe:
                    self.check_language(language, path)
                result["@language"] = language
            if direction is not None:
                if self.safe:
                    self.check_direction(direction, path)
                result["@direction"] = direction
        return result


def _canonical_double(value: float) -> str:
    # The canonical xsd:double form JSON-LD uses: one digit before the point,
    # no trailing zeros but at least one decimal, and an exponent without
    # sign or leading zeros for positive exponents ("1.5E1", "1.0E-5").
    mantissa, exponent = f"{value:.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


class _RdfWriter:
    """Node Map Generation and Deserialize JSON-LD to RDF in one walk.

    Walking the expanded document directly gives the same dataset as building
    the node map first, because every node object's entries become triples of
    the graph it appears in. Quads are appended to ``quads``.
    """

    def __init__(self, *, safe: bool, rdf_direction: str | None) -> None:
        self.safe = safe
        self.rdf_direction = rdf_direction
        self.quads: list[Quad] = []
        self.labels: dict[str, Term] = {}
        self.counter = 0
        self.indexes: dict[str, str] = {}

    def drop(self, message: str) -> None:
        if self.safe:
            raise ProofTransformationError(
                f"{message}, so the RDF dataset would leave it out and a proof "
                "would not cover it"
            )

    def new_blank_node(self) -> Term:
        term = ("B", f"b{self.counter}")
        self.counter += 1
        return term

    def blank_node(self, identifier: str) -> Term:
        # The identifier issuer of Node Map Generation: one label per input label.
        term = self.labels.get(identifier)
        if term is None:
            term = self.new_blank_node()
            self.labels[identifier] = term
        return term

    def resource(self, identifier: str, role: str) -> Term | None:
        if identifier.startswith("_:"):
            return self.blank_node(identifier)
        if is_absolute_iri(identifier):
            return ("I", identifier)
        self.drop(f"{role} {identifier!r} is not an absolute IRI")
        return None

    def write_node(self, node: dict[str, Any], graph: Term | None) -> Term | None:
        """Emit the triples of a node object and return its subject term."""
        types = node.get("@type", ())

        # Step 3 of Node Map Generation: blank node types are labelled first.
        for type_iri in types:
            if type_iri.startswith("_:"):
                self.blank_node(type_iri)
        identifier = node.get("@id")
        if identifier is None:
            subject: Term | None = self.new_blank_node()
        else:
            subject = self.resource(identifier, "subject")
            index = node.get("@index")
            if index is not None:
                # Step 6.7 of Node Map Generation.
                known = self.indexes.setdefault(identifier, index)
                if known != index:
                    raise JsonLdError(
                        "conflicting indexes",
                        f"node {identifier!r} has the @index values {known!r} "
                        f"and {index!r}",
                        value=identifier,
                    )
        quads = self.quads
        for type_iri in types:
            type_term = self.resource(type_iri, "type")
            if subject is not None and type_term is not None:
                quads.append((subject, _RDF_TYPE_TERM, type_term, graph))
        for key in sorted(node):
            values = node[key]
            if key[0] == "@":
                if key == "@reverse":
                    self.write_reverse(subject, values, graph)
                elif key == "@graph":
                    if subject is None:
                        continue
                    for item in values:
                        if _is_node_or_reference(item):
                            self.write_node(item, subject)
                elif key == "@included":
                    for item in values:
                        self.write_node(item, graph)
                continue
            predicate = self.predicate(key)
            for item in values:
                value_term = self.object_term(item, graph)
                if (
                    subject is not None
                    and predicate is not None
                    and value_term is not None
                ):
                    quads.append((subject, predicate, value_term, graph))
        return subject

    def write_reverse(
        self, subject: Term | None, reverse_map: dict[str, Any], graph: Term | None
    ) -> None:
        # Step 6.8 of Node Map Generation: each value is the subject.
        for property, items in reverse_map.items():
            predicate = self.predicate(property)
            for item in items:
                value_subject = self.write_node(item, graph)
                if (
                    value_subject is not None
                    and predicate is not None
                    and subject is not None
                ):
                    self.quads.append((value_subject, predicate, subject, graph))

    def predicate(self, iri: str) -> Term | None:
        if iri.startswith("_:"):
            self.drop(f"property {iri!r} is a blank node")
            return None
        if not is_absolute_iri(iri):
            self.drop(f"property {iri!r} is not an absolute IRI")
            return None
        return ("I", iri)

    def object_term(self, item: dict[str, Any], graph: Term | None) -> Term | None:
        """Object to RDF Conversion (JSON-LD 1.1 API, section 8.1.3)."""
        if "@value" in item:
            return self.literal(item)
        if "@list" in item:
            return self.write_list(item["@list"], graph)
        return self.write_node(item, graph)

    def write_list(self, items: list[Any], graph: Term | None) -> Term:
        """List to RDF Conversion (JSON-LD 1.1 API, section 8.1.4)."""
        if not items:
            return _RDF_NIL_TERM
        nodes = [self.new_blank_node() for _ in items]
        quads = self.quads
        for position, item in enumerate(items):
            node = nodes[position]
            value_term = self.object_term(item, graph)
            if value_term is not None:
                quads.append((node, _RDF_FIRST_TERM, value_term, graph))
            rest = nodes[position + 1] if position + 1 < len(items) else _RDF_NIL_TERM
            quads.append((node, _RDF_REST_TERM, rest, graph))
        return nodes[0]

    def literal(self, item: dict[str, Any]) -> Term | None:
        # Steps 4 to 15 of Object to RDF Conversion.
        value = item["@value"]
        datatype = item.get("@type")
        language = item.get("@language")
        if (
            datatype is not None
            and datatype != "@json"
            and not is_absolute_iri(datatype)
        ):
            self.drop(f"datatype {datatype!r} is not an absolute IRI")
            return None
        if language is not None and _LANGUAGE_TAG.fullmatch(language) is None:
            self.drop(f"language tag {language!r} is not well-formed")
            return None
        if datatype == "@json":
            try:
                lexical = rfc8785.dumps(value).decode("utf-8")
            except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
                raise JsonLdError(
                    "invalid JSON literal",
                    f"the @json value cannot be canonicalized (RFC 8785): {e}",
                    value=value,
                ) from e
            return ("L", lexical, RDF_JSON, None)
        if isinstance(value, bool):
            return ("L", "true" if value else "false", datatype or XSD_BOOLEAN, None)
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                # NaN and Infinity are not JSON numbers and have no canonical
                # RDF form, so they are never part of a signed document.
                raise ProofTransformationError(
                    f"the number {value!r} is not a valid JSON number",
                    value=str(value),
                )
            if (
                (isinstance(value, float) and not value.is_integer())
                or abs(value) >= 1e21
                or datatype == XSD_DOUBLE
            ):
                return (
                    "L",
                    _canonical_double(float(value)),
                    datatype or XSD_DOUBLE,
                    None,
                )
            return ("L", str(int(value)), datatype or XSD_INTEGER, None)
        direction = item.get("@direction")
        if direction is not None:
            if self.rdf_direction == "i18n-datatype":
                return ("L", value, f"{I18N_BASE}{language or ''}_{direction}", None)
            self.drop(f"base direction {direction!r} of {value!r} has no RDF form")
        if language is not None:
            return ("L", value, RDF_LANGSTRING, language)
        return ("L", value, datatype or XSD_STRING, None)
