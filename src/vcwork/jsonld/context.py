"""JSON-LD 1.1 context processing and IRI expansion, with processed contexts cached.

Implements the Context Processing, Create Term Definition and IRI Expansion
algorithms of the JSON-LD 1.1 Processing Algorithms and API
(https://www.w3.org/TR/json-ld11-api/#context-processing-algorithms). Step
numbers in comments refer to that document.

An :class:`ActiveContext` never changes after it is built. Processing a local
context on top of it is cached on the parent context, keyed by the local
context (remote contexts by URL, inline ones by their canonical JSON text).
So a credential's contexts, including the type-scoped and property-scoped
ones, are processed once per process rather than once per node. The first context
of every chain belongs to one document loader, so two loaders that serve
different documents for the same URL never share results.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Final

from ..errors import ProofTransformationError
from .loader import BundledDocumentLoader

__all__ = [
    "ABSENT",
    "KEYWORDS",
    "Absent",
    "ActiveContext",
    "JsonLdError",
    "TermDefinition",
    "initial_context",
    "is_absolute_iri",
    "is_keyword_form",
    "resolve_iri",
]

JSON_LD_1_0: Final = "json-ld-1.0"
JSON_LD_1_1: Final = "json-ld-1.1"

KEYWORDS: Final = frozenset(
    {
        "@base",
        "@container",
        "@context",
        "@default",
        "@direction",
        "@embed",
        "@explicit",
        "@graph",
        "@id",
        "@import",
        "@included",
        "@index",
        "@json",
        "@language",
        "@list",
        "@nest",
        "@none",
        "@omitDefault",
        "@prefix",
        "@preserve",
        "@protected",
        "@requireAll",
        "@reverse",
        "@set",
        "@type",
        "@value",
        "@version",
        "@vocab",
    }
)

# JSON-LD 1.1 API section 4.1.2, step 5.2.3: the spec leaves the limit to the
# processor. Ten nested remote contexts is far more than any credential uses.
MAX_REMOTE_CONTEXTS: Final = 10

# Per-context bounds for the caches below, so that a stream of documents with
# distinct inline contexts or distinct undefined terms cannot grow memory
# without limit. Beyond them, results are computed but not stored.
MAX_DERIVED_CONTEXTS: Final = 256
# The maximum number of entries in one @context array. Real documents use a
# handful. Without a bound, a document that repeats a context thousands of
# times costs seconds of processing before any signature is checked.
MAX_CONTEXT_ENTRIES: Final = 64
MAX_CACHED_IRIS: Final = 4096
MAX_CACHED_IRI_CHECKS: Final = 65536

_KEYWORD_FORM = re.compile(r"@[A-Za-z]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# An absolute IRI as RDF accepts it: a scheme, then no space, control
# character or other character that IRI syntax (RFC 3987) excludes, and at
# most one "#".
_IRI_CHARACTER = r"[^\x00-\x20<>\"{}|\\^`#]"
_ABSOLUTE_IRI = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:{_IRI_CHARACTER}*(?:#{_IRI_CHARACTER}*)?"
)
# RFC 3986, appendix B.
_URI_PARTS = re.compile(
    r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?"
)
_GEN_DELIMS: Final = frozenset(":/?#[]@")

_CONTAINER_KEYWORDS: Final = frozenset(
    {"@graph", "@id", "@index", "@language", "@list", "@set", "@type"}
)
_TERM_DEFINITION_KEYS: Final = frozenset(
    {
        "@id",
        "@reverse",
        "@container",
        "@context",
        "@direction",
        "@index",
        "@language",
        "@nest",
        "@prefix",
        "@protected",
        "@type",
    }
)
_CONTEXT_ONLY_KEYS: Final = frozenset(
    {
        "@base",
        "@direction",
        "@import",
        "@language",
        "@propagate",
        "@protected",
        "@version",
        "@vocab",
    }
)


class Absent:
    """Marker for a term definition entry that is not present (unlike ``None``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()


class JsonLdError(ProofTransformationError):
    """A JSON-LD processing error.

    ``jsonld_code`` is the error code the JSON-LD 1.1 API names, such as
    ``invalid IRI mapping`` or ``protected term redefinition``.
    """

    def __init__(
        self,
        jsonld_code: str,
        detail: str,
        *,
        property: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(f"{jsonld_code}: {detail}", property=property, value=value)
        self.jsonld_code = jsonld_code


def is_keyword_form(value: str) -> bool:
    """Return whether ``value`` looks like a keyword: ``@`` followed by letters."""
    return _KEYWORD_FORM.fullmatch(value) is not None


_absolute_iri_checks: dict[str, bool] = {}


def is_absolute_iri(value: str) -> bool:
    """Return whether ``value`` is a well-formed absolute IRI (memoized)."""
    known = _absolute_iri_checks.get(value)
    if known is None:
        known = _ABSOLUTE_IRI.fullmatch(value) is not None
        if len(_absolute_iri_checks) < MAX_CACHED_IRI_CHECKS:
            _absolute_iri_checks[value] = known
    return known


def _has_scheme(value: str) -> bool:
    return _SCHEME.match(value) is not None


def _remove_dot_segments(path: str) -> str:
    # RFC 3986, section 5.2.4.
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment == ".":
            if is_last:
                output.append("")
        elif segment == "..":
            if len(output) > 1 or (output and output[0] != ""):
                output.pop()
            if is_last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def resolve_iri(base: str, reference: str) -> str:
    """Resolve ``reference`` against ``base`` (RFC 3986, section 5.2.2)."""
    match = _URI_PARTS.fullmatch(reference)
    base_match = _URI_PARTS.fullmatch(base)
    if match is None or base_match is None:
        return reference
    scheme, authority, path, query, fragment = match.groups()
    b_scheme, b_authority, b_path, b_query, _ = base_match.groups()
    if scheme is not None:
        t_scheme, t_authority = scheme, authority
        t_path, t_query = _remove_dot_segments(path), query
    else:
        t_scheme = b_scheme
        if authority is not None:
            t_authority, t_path, t_query = authority, _remove_dot_segments(path), query
        else:
            t_authority = b_authority
            if path == "":
                t_path = b_path
                t_query = query if query is not None else b_query
            else:
                if path.startswith("/"):
                    t_path = _remove_dot_segments(path)
                else:
                    # Section 5.2.3, merging the paths.
                    if b_authority is not None and b_path == "":
                        merged = "/" + path
                    else:
                        merged = b_path[: b_path.rfind("/") + 1] + path
                    t_path = _remove_dot_segments(merged)
                t_query = query
    # Section 5.3, recomposing the components.
    result = ""
    if t_scheme is not None:
        result += t_scheme + ":"
    if t_authority is not None:
        result += "//" + t_authority
    result += t_path
    if t_query is not None:
        result += "?" + t_query
    if fragment is not None:
        result += "#" + fragment
    return result


def canonical_context_key(local_context: Any) -> Any:
    """Return a hashable key that identifies the JSON value of a local context."""
    if isinstance(local_context, str):
        return local_context
    if isinstance(local_context, list) and all(
        isinstance(item, str) for item in local_context
    ):
        return tuple(local_context)
    try:
        return json.dumps(local_context, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise JsonLdError(
            "invalid local context",
            f"the context is not a JSON value: {e}",
            property="@context",
        ) from e


class TermDefinition:
    """One term definition of an active context (JSON-LD 1.1 API, section 4.1)."""

    __slots__ = (
        "base_url",
        "container",
        "context",
        "context_key",
        "direction",
        "index",
        "iri",
        "language",
        "nest",
        "prefix",
        "protected",
        "reverse",
        "type",
    )

    def __init__(self) -> None:
        self.iri: str | None = None
        self.prefix = False
        self.protected = False
        self.reverse = False
        self.type: str | None = None
        self.container: frozenset[str] = frozenset()
        self.language: str | Absent | None = ABSENT
        self.direction: str | Absent | None = ABSENT
        self.context: Any = ABSENT
        self.context_key: Any = None
        self.base_url: str | None = None
        self.nest: str | None = None
        self.index: str | None = None

    def same_definition(self, other: TermDefinition) -> bool:
        """Return whether both definitions match, ignoring the protected flag."""
        return (
            self.iri == other.iri
            and self.prefix == other.prefix
            and self.reverse == other.reverse
            and self.type == other.type
            and self.container == other.container
            and self.language == other.language
            and self.direction == other.direction
            and self.context_key == other.context_key
            and self.nest == other.nest
            and self.index == other.index
        )


_cache_lock = threading.Lock()


class ActiveContext:
    """A processed JSON-LD context; immutable once built and safe to share.

    ``derive`` applies a local context and caches the result on this object.
    ``expand_vocab_iri`` and ``expand_document_iri`` are the two uses of IRI
    expansion that expansion needs, memoized per context.
    """

    __slots__ = (
        "__weakref__",
        "_derived",
        "_document_iris",
        "_vocab_iris",
        "base",
        "direction",
        "has_protected",
        "language",
        "mode",
        "original_base",
        "previous",
        "terms",
        "vocab",
    )

    def __init__(self, *, base: str | None, mode: str) -> None:
        self.terms: dict[str, TermDefinition] = {}
        self.base = base
        self.original_base = base
        self.vocab: str | None = None
        self.language: str | None = None
        self.direction: str | None = None
        self.previous: ActiveContext | None = None
        self.mode = mode
        self.has_protected = False
        self._derived: dict[Any, ActiveContext] = {}
        self._vocab_iris: dict[str, str | None] = {}
        self._document_iris: dict[str, str | None] = {}

    def copy(self) -> ActiveContext:
        """Return a new context with the same definitions and empty caches."""
        result = ActiveContext(base=self.original_base, mode=self.mode)
        result.terms = dict(self.terms)
        result.base = self.base
        result.vocab = self.vocab
        result.language = self.language
        result.direction = self.direction
        result.previous = self.previous
        result.has_protected = self.has_protected
        return result

    def derive(
        self,
        local_context: Any,
        base_url: str | None,
        *,
        loader: BundledDocumentLoader,
        override_protected: bool = False,
        propagate: bool = True,
        context_key: Any = None,
    ) -> ActiveContext:
        """Return this context with ``local_context`` processed on top (cached).

        ``context_key`` is a precomputed :func:`canonical_context_key` of
        ``local_context``; it is computed when omitted.
        """
        if isinstance(local_context, list) and len(local_context) > MAX_CONTEXT_ENTRIES:
            raise JsonLdError(
                "invalid local context",
                f"@context has {len(local_context)} entries; vcwork processes at "
                f"most {MAX_CONTEXT_ENTRIES} in one @context",
                property="@context",
            )
        if context_key is None:
            context_key = canonical_context_key(local_context)
        key = (context_key, base_url, override_protected, propagate)
        cached = self._derived.get(key)
        if cached is not None:
            return cached
        result = _ContextProcessor(loader).process(
            self,
            local_context,
            base_url,
            remote_contexts=[],
            override_protected=override_protected,
            propagate=propagate,
            validate_scoped=True,
        )
        with _cache_lock:
            if len(self._derived) < MAX_DERIVED_CONTEXTS:
                result = self._derived.setdefault(key, result)
        return result

    def expand_vocab_iri(self, value: str) -> str | None:
        """Expand a term, compact IRI or IRI used as a property or type (vocab true)."""
        try:
            return self._vocab_iris[value]
        except KeyError:
            pass
        result = _expand_iri(self, value, vocab=True, document_relative=False)
        if len(self._vocab_iris) < MAX_CACHED_IRIS:
            self._vocab_iris[value] = result
        return result

    def expand_type_iri(self, value: str) -> str | None:
        """Expand an ``@type`` value: vocab true and document relative true."""
        result = self.expand_vocab_iri(value)
        if (
            result is not None
            and self.base is not None
            and not _has_scheme(result)
            and not result.startswith("_:")
            and result not in KEYWORDS
        ):
            return resolve_iri(self.base, result)
        return result

    def expand_document_iri(self, value: str) -> str | None:
        """Expand an ``@id`` value: document relative true, vocab false."""
        try:
            return self._document_iris[value]
        except KeyError:
            pass
        result = _expand_iri(self, value, vocab=False, document_relative=True)
        if len(self._document_iris) < MAX_CACHED_IRIS:
            self._document_iris[value] = result
        return result


def _expand_iri(
    active: ActiveContext,
    value: str,
    *,
    vocab: bool,
    document_relative: bool,
    scope: _LocalScope | None = None,
    processor: _ContextProcessor | None = None,
) -> str | None:
    """IRI Expansion (JSON-LD 1.1 API, section 5.2.2)."""
    # Steps 1 and 2.
    if value in KEYWORDS:
        return value
    if is_keyword_form(value):
        return None

    # Step 3: define the term first when the local context being processed has it.
    if (
        scope is not None
        and processor is not None
        and value in scope.context
        and scope.defined.get(value) is not True
    ):
        processor.create_term_definition(active, scope, value)
    definition = active.terms.get(value)

    # Steps 4 and 5.
    if definition is not None:
        if definition.iri is not None and definition.iri in KEYWORDS:
            return definition.iri
        if vocab:
            return definition.iri

    # Step 6: an IRI, a compact IRI or a blank node identifier.
    colon = value.find(":", 1)
    if colon != -1:
        prefix = value[:colon]
        suffix = value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        if (
            scope is not None
            and processor is not None
            and prefix in scope.context
            and scope.defined.get(prefix) is not True
        ):
            processor.create_term_definition(active, scope, prefix)
        prefix_definition = active.terms.get(prefix)
        if (
            prefix_definition is not None
            and prefix_definition.iri is not None
            and prefix_definition.prefix
        ):
            return prefix_definition.iri + suffix
        if _has_scheme(value):
            return value

    # Step 7.
    if vocab and active.vocab is not None:
        return active.vocab + value

    # Step 8.
    if document_relative and active.base is not None:
        return resolve_iri(active.base, value)
    return value


class _LocalScope:
    """The local context being processed and the state Create Term Definition shares.

    Terms defined as a dependency of another term (a prefix, a type) take the
    same ``@protected`` default and override flag as the rest of the context.
    """

    __slots__ = (
        "base_url",
        "context",
        "defined",
        "override_protected",
        "protected",
        "remote_contexts",
    )

    def __init__(
        self,
        context: Mapping[str, Any],
        base_url: str | None,
        *,
        protected: bool,
        override_protected: bool,
        remote_contexts: list[str],
    ) -> None:
        self.context = context
        self.defined: dict[str, bool] = {}
        self.base_url = base_url
        self.protected = protected
        self.override_protected = override_protected
        self.remote_contexts = remote_contexts


class _ContextProcessor:
    """Context Processing and Create Term Definition for one loader."""

    def __init__(self, loader: BundledDocumentLoader) -> None:
        self.loader = loader

    def load_context(self, url: str, *, for_import: bool) -> Any:
        # Steps 5.2.5 and 5.6.4 to 5.6.6 of Context Processing. A loader error
        # (an unknown URL) propagates unchanged so the caller sees which URL.
        document = self.loader.load(url)
        code = "invalid remote context"
        if not isinstance(document, dict) or "@context" not in document:
            raise JsonLdError(
                code,
                f"the document at {url!r} has no top-level @context entry",
                property="@context",
                value=url,
            )
        context = document["@context"]
        if for_import and not isinstance(context, dict):
            raise JsonLdError(
                code,
                f"the @import document at {url!r} has a @context that is not an object",
                property="@context",
                value=url,
            )
        return context

    def process(
        self,
        active: ActiveContext,
        local_context: Any,
        base_url: str | None,
        *,
        remote_contexts: list[str],
        override_protected: bool,
        propagate: bool,
        validate_scoped: bool,
    ) -> ActiveContext:
        """Context Processing (JSON-LD 1.1 API, section 4.1.2).

        ``active`` is never changed: step 1's copy is made only before the
        first change, so a remote context first in the list is looked up in
        the cache of ``active`` itself.
        """
        # Step 1 (deferred, see above).
        result = active
        owned = False

        # Step 2.
        if isinstance(local_context, dict) and "@propagate" in local_context:
            propagate = local_context["@propagate"]  # checked in step 5.11
            if not isinstance(propagate, bool):
                raise JsonLdError(
                    "invalid @propagate value",
                    f"@propagate must be true or false, got {propagate!r}",
                    property="@context",
                    value=propagate,
                )

        # Step 3.
        if not propagate and result.previous is None:
            result = active.copy()
            owned = True
            result.previous = active

        # Step 4.
        contexts = local_context if isinstance(local_context, list) else [local_context]

        # Step 5.
        for context in contexts:
            # Step 5.1: null resets to the initial context.
            if context is None:
                if not override_protected and result.has_protected:
                    raise JsonLdError(
                        "invalid context nullification",
                        "a null context cannot clear protected term definitions",
                        property="@context",
                    )
                previous_result = result
                result = ActiveContext(base=active.original_base, mode=active.mode)
                owned = True
                if not propagate:
                    result.previous = previous_result
                continue

            # Step 5.2: a remote context.
            if isinstance(context, str):
                result = self._process_remote(
                    result,
                    context,
                    base_url,
                    remote_contexts=remote_contexts,
                    validate_scoped=validate_scoped,
                )
                # The result may be a shared, cached context.
                owned = False
                continue

            # Step 5.3.
            if not isinstance(context, dict):
                raise JsonLdError(
                    "invalid local context",
                    f"a context must be an object, a string or null, got {context!r}",
                    property="@context",
                    value=context,
                )
            if not owned:
                result = result.copy()
                owned = True
            self._process_object(
                result,
                context,
                base_url,
                remote_contexts=remote_contexts,
                override_protected=override_protected,
            )

        # Step 6.
        return result

    def _process_remote(
        self,
        result: ActiveContext,
        context: str,
        base_url: str | None,
        *,
        remote_contexts: list[str],
        validate_scoped: bool,
    ) -> ActiveContext:
        # Step 5.2.1.
        url = resolve_iri(base_url, context) if base_url is not None else context
        if not _has_scheme(url):
            raise JsonLdError(
                "loading remote context failed",
                f"the context reference {context!r} is relative and there is no "
                "base URL to resolve it against",
                property="@context",
                value=context,
            )

        # Step 5.2.2.
        if not validate_scoped and url in remote_contexts:
            return result

        # Step 5.2.3.
        if len(remote_contexts) > MAX_REMOTE_CONTEXTS:
            raise JsonLdError(
                "context overflow",
                f"more than {MAX_REMOTE_CONTEXTS} nested remote contexts at {url!r}",
                property="@context",
                value=url,
            )
        if validate_scoped:
            key = (url, url, False, True)
            cached = result._derived.get(key)
            if cached is not None:
                return cached

        # Steps 5.2.4 to 5.2.6.
        loaded = self.load_context(url, for_import=False)
        processed = self.process(
            result,
            loaded,
            url,
            remote_contexts=[*remote_contexts, url],
            override_protected=False,
            propagate=True,
            validate_scoped=validate_scoped,
        )
        if validate_scoped:
            with _cache_lock:
                if len(result._derived) < MAX_DERIVED_CONTEXTS:
                    processed = result._derived.setdefault(key, processed)
        return processed

    def _process_object(
        self,
        result: ActiveContext,
        context: dict[str, Any],
        base_url: str | None,
        *,
        remote_contexts: list[str],
        override_protected: bool,
    ) -> None:
        mode = result.mode

        # Step 5.5.
        if "@version" in context:
            if context["@version"] != 1.1:
                raise JsonLdError(
                    "invalid @version value",
                    f"@version must be 1.1, got {context['@version']!r}",
                    property="@context",
                )
            if mode == JSON_LD_1_0:
                raise JsonLdError(
                    "processing mode conflict",
                    "@version 1.1 is set but the processing mode is json-ld-1.0",
                    property="@context",
                )

        # Step 5.6.
        if "@import" in context:
            context = self._import(context, base_url, mode)

        # Step 5.7: @base only counts outside remote contexts.
        if "@base" in context and not remote_contexts:
            value = context["@base"]
            if value is None:
                result.base = None
            elif not isinstance(value, str):
                raise JsonLdError(
                    "invalid base IRI",
                    f"@base must be a string or null, got {value!r}",
                    property="@context",
                    value=value,
                )
            elif _has_scheme(value):
                result.base = value
            elif result.base is not None:
                result.base = resolve_iri(result.base, value)
            else:
                raise JsonLdError(
                    "invalid base IRI",
                    f"@base {value!r} is relative and there is no base IRI",
                    property="@context",
                    value=value,
                )

        # Step 5.8.
        if "@vocab" in context:
            self._set_vocab(result, context["@vocab"])

        # Step 5.9.
        if "@language" in context:
            value = context["@language"]
            if value is not None and not isinstance(value, str):
                raise JsonLdError(
                    "invalid default language",
                    f"@language must be a string or null, got {value!r}",
                    property="@context",
                    value=value,
                )
            result.language = value.lower() if isinstance(value, str) else None

        # Step 5.10.
        if "@direction" in context:
            value = context["@direction"]
            if mode == JSON_LD_1_0:
                raise JsonLdError(
                    "invalid context entry",
                    "@direction needs processing mode json-ld-1.1",
                    property="@context",
                )
            if value not in (None, "ltr", "rtl"):
                raise JsonLdError(
                    "invalid base direction",
                    f"@direction must be 'ltr', 'rtl' or null, got {value!r}",
                    property="@context",
                    value=value,
                )
            result.direction = value

        # Step 5.11 (the value was checked in step 2).
        if "@propagate" in context and mode == JSON_LD_1_0:
            raise JsonLdError(
                "invalid context entry",
                "@propagate needs processing mode json-ld-1.1",
                property="@context",
            )

        # Steps 5.12 and 5.13.
        protected = context.get("@protected", False)
        if not isinstance(protected, bool):
            raise JsonLdError(
                "invalid @protected value",
                f"@protected must be true or false, got {protected!r}",
                property="@context",
                value=protected,
            )
        scope = _LocalScope(
            context,
            base_url,
            protected=protected,
            override_protected=override_protected,
            remote_contexts=remote_contexts,
        )
        for term in context:
            if term in _CONTEXT_ONLY_KEYS:
                continue
            self.create_term_definition(result, scope, term)

    def _import(
        self, context: dict[str, Any], base_url: str | None, mode: str
    ) -> dict[str, Any]:
        # Step 5.6 of Context Processing.
        value = context["@import"]
        if mode == JSON_LD_1_0:
            raise JsonLdError(
                "invalid context entry",
                "@import needs processing mode json-ld-1.1",
                property="@context",
            )
        if not isinstance(value, str):
            raise JsonLdError(
                "invalid @import value",
                f"@import must be a string, got {value!r}",
                property="@context",
                value=value,
            )
        url = resolve_iri(base_url, value) if base_url is not None else value
        imported = self.load_context(url, for_import=True)
        if "@import" in imported:
            raise JsonLdError(
                "invalid context entry",
                f"the context imported from {url!r} has its own @import",
                property="@context",
                value=url,
            )
        merged = dict(imported)
        merged.update(context)
        del merged["@import"]
        return merged

    def _set_vocab(self, result: ActiveContext, value: Any) -> None:
        if value is None:
            result.vocab = None
            return
        if not isinstance(value, str):
            raise JsonLdError(
                "invalid vocab mapping",
                f"@vocab must be a string or null, got {value!r}",
                property="@context",
                value=value,
            )
        if result.mode == JSON_LD_1_0 and not _has_scheme(value):
            raise JsonLdError(
                "invalid vocab mapping",
                f"@vocab {value!r} must be an absolute IRI in json-ld-1.0",
                property="@context",
                value=value,
            )
        vocab = _expand_iri(result, value, vocab=True, document_relative=True)
        if vocab is None or not (_has_scheme(vocab) or vocab.startswith("_:")):
            raise JsonLdError(
                "invalid vocab mapping",
                f"@vocab {value!r} does not expand to an IRI or blank node identifier",
                property="@context",
                value=value,
            )
        result.vocab = vocab

    def create_term_definition(
        self, active: ActiveContext, scope: _LocalScope, term: str
    ) -> None:
        """Create Term Definition (JSON-LD 1.1 API, section 4.2.2)."""
        defined = scope.defined

        # Step 1.
        state = defined.get(term)
        if state is True:
            return
        if state is False:
            raise JsonLdError(
                "cyclic IRI mapping",
                f"the definition of term {term!r} depends on itself",
                property="@context",
                value=term,
            )

        # Step 2.
        if term == "":
            raise JsonLdError(
                "invalid term definition",
                "the empty string cannot be defined as a term",
                property="@context",
            )
        defined[term] = False

        # Step 3.
        value = scope.context[term]
        mode = active.mode

        # Step 4.
        if term == "@type" and mode != JSON_LD_1_0 and isinstance(value, dict):
            extra = set(value) - {"@container", "@protected"}
            if not value or extra or value.get("@container", "@set") != "@set":
                raise JsonLdError(
                    "keyword redefinition",
                    "@type may only be given @container @set and @protected",
                    property="@context",
                    value=term,
                )
        elif term in KEYWORDS:
            raise JsonLdError(
                "keyword redefinition",
                f"the keyword {term!r} cannot be redefined",
                property="@context",
                value=term,
            )

        # Step 5: other terms of the form of a keyword are ignored.
        elif is_keyword_form(term):
            defined[term] = True
            return

        # Step 6.
        previous = active.terms.pop(term, None)

        # Steps 7 to 9.
        simple_term = False
        if value is None:
            value = {"@id": None}
        elif isinstance(value, str):
            value = {"@id": value}
            simple_term = True
        elif not isinstance(value, dict):
            raise JsonLdError(
                "invalid term definition",
                f"term {term!r} must map to a string, an object or null, got {value!r}",
                property="@context",
                value=term,
            )

        # Step 10.
        definition = TermDefinition()
        protected = scope.protected

        # Step 11.
        if "@protected" in value:
            if mode == JSON_LD_1_0:
                raise JsonLdError(
                    "invalid term definition",
                    f"@protected on term {term!r} needs processing mode json-ld-1.1",
                    property="@context",
                    value=term,
                )
            protected = value["@protected"]
            if not isinstance(protected, bool):
                raise JsonLdError(
                    "invalid @protected value",
                    f"@protected of term {term!r} must be true or false",
                    property="@context",
                    value=term,
                )
        definition.protected = protected

        # Step 12.
        if "@type" in value:
            self._set_type_mapping(active, scope, term, value, definition)

        # Step 13.
        if "@reverse" in value:
            if self._define_reverse(active, scope, term, value, definition):
                self._finish(active, scope, term, definition, previous)
            else:
                defined[term] = True
            return

        # Steps 14 to 18.
        if not self._set_iri_mapping(
            active, scope, term, value, definition, simple_term
        ):
            return

        # Step 19.
        if "@container" in value:
            self._set_container(term, value["@container"], definition, mode)

        # Step 20.
        if "@index" in value:
            index = value["@index"]
            if mode == JSON_LD_1_0 or "@index" not in definition.container:
                raise JsonLdError(
                    "invalid term definition",
                    f"@index on term {term!r} needs an @index container",
                    property="@context",
                    value=term,
                )
            expanded_index = (
                _expand_iri(active, index, vocab=True, document_relative=False)
                if isinstance(index, str)
                else None
            )
            if expanded_index is None or not _has_scheme(expanded_index):
                raise JsonLdError(
                    "invalid term definition",
                    f"@index of term {term!r} must expand to an IRI, got {index!r}",
                    property="@context",
                    value=term,
                )
            definition.index = index

        # Step 21.
        if "@context" in value:
            self._set_scoped_context(active, scope, term, value["@context"], definition)

        # Steps 22 and 23.
        if "@type" not in value:
            self._set_language_and_direction(term, value, definition)

        # Step 24.
        if "@nest" in value:
            nest = value["@nest"]
            if mode == JSON_LD_1_0:
                raise JsonLdError(
                    "invalid term definition",
                    f"@nest on term {term!r} needs processing mode json-ld-1.1",
                    property="@context",
                    value=term,
                )
            if not isinstance(nest, str) or (nest in KEYWORDS and nest != "@nest"):
                raise JsonLdError(
                    "invalid @nest value",
                    f"@nest of term {term!r} must be a term or @nest, got {nest!r}",
                    property="@context",
                    value=term,
                )
            definition.nest = nest

        # Step 25.
        if "@prefix" in value:
            self._set_prefix_flag(term, value["@prefix"], definition, mode)

        # Step 26.
        extra_keys = set(value) - _TERM_DEFINITION_KEYS
        if extra_keys:
            raise JsonLdError(
                "invalid term definition",
                f"term {term!r} has unknown entries {sorted(extra_keys)}",
                property="@context",
                value=term,
            )
        self._finish(active, scope, term, definition, previous)

    def _finish(
        self,
        active: ActiveContext,
        scope: _LocalScope,
        term: str,
        definition: TermDefinition,
        previous: TermDefinition | None,
    ) -> None:
        # Step 27: a protected term may only be redefined identically.
        if not scope.override_protected and previous is not None and previous.protected:
            if not definition.same_definition(previous):
                raise JsonLdError(
                    "protected term redefinition",
                    f"term {term!r} is protected and a later context redefines it",
                    property="@context",
                    value=term,
                )
            definition = previous

        # Step 28.
        active.terms[term] = definition
        if definition.protected:
            active.has_protected = True
        scope.defined[term] = True

    def _set_type_mapping(
        self,
        active: ActiveContext,
        scope: _LocalScope,
        term: str,
        value: dict[str, Any],
        definition: TermDefinition,
    ) -> None:
        # Step 12 of Create Term Definition.
        type_value = value["@type"]
        if not isinstance(type_value, str):
            raise JsonLdError(
                "invalid type mapping",
                f"@type of term {term!r} must be a string, got {type_value!r}",
                property="@context",
                value=term,
            )
        expanded = _expand_iri(
            active,
            type_value,
            vocab=True,
            document_relative=False,
            scope=scope,
            processor=self,
        )
        if expanded in ("@json", "@none") and active.mode == JSON_LD_1_0:
            raise JsonLdError(
                "invalid type mapping",
                f"@type {expanded} of term {term!r} needs processing mode json-ld-1.1",
                property="@context",
                value=term,
            )
        if expanded not in ("@id", "@json", "@none", "@vocab") and (
            expanded is None or not _has_scheme(expanded) or expanded.startswith("_:")
        ):
            raise JsonLdError(
                "invalid type mapping",
                f"@type of term {term!r} does not expand to an IRI: {type_value!r}",
                property="@context",
                value=term,
            )
        definition.type = expanded

    def _define_reverse(
        self,
        active: ActiveContext,
        scope: _LocalScope,
        term: str,
        value: dict[str, Any],
        definition: TermDefinition,
    ) -> bool:
        """Step 13 of Create Term Definition; False when the term is ignored."""
        if "@id" in value or "@nest" in value:
            raise JsonLdError(
                "invalid reverse property",
                f"term {term!r} has @reverse together with @id or @nest",
                property="@context",
                value=term,
            )
        reverse = value["@reverse"]
        if not isinstance(reverse, str):
            raise JsonLdError(
                "invalid IRI mapping",
                f"@reverse of term {term!r} must be a string, got {reverse!r}",
                property="@context",
                value=term,
            )
        if is_keyword_form(reverse):
            # Ignored like a keyword-shaped @id: the term stays undefined.
            return False
        iri = _expand_iri(
            active,
            reverse,
            vocab=True,
            document_relative=False,
            scope=scope,
            processor=self,
        )
        if iri is None or ":" not in iri:
            raise JsonLdError(
                "invalid IRI mapping",
                f"@reverse of term {term!r} does not expand to an IRI: {reverse!r}",
                property="@context",
                value=term,
            )
        definition.iri = iri
        if "@container" in value:
            container = value["@container"]
            if container not in ("@set", "@index", None):
                raise JsonLdError(
                    "invalid reverse property",
                    f"reverse term {term!r} may only have an @set or @index container",
                    property="@context",
                    value=term,
                )
            definition.container = frozenset([container]) if container else frozenset()
        definition.reverse = True
        return True

    def _set_iri_mapping(
        self,
        active: ActiveContext,
        scope: _LocalScope,
        term: str,
        value: dict[str, Any],
        definition: TermDefinition,
        simple_term: bool,
    ) -> bool:
        """Steps 14 to 18 of Create Term Definition; False when the term is ignored."""
        defined = scope.defined
        colon = term.find(":", 1)
        has_colon_or_slash = (0 < colon < len(term) - 1) or "/" in term
        if "@id" in value and value["@id"] != term:
            iri_value = value["@id"]

            # Step 14.1: a null @id keeps the term out of expansion.
            if iri_value is None:
                definition.iri = None
                return True

            # Step 14.2.
            if not isinstance(iri_value, str):
                raise JsonLdError(
                    "invalid IRI mapping",
                    f"@id of term {term!r} must be a string, got {iri_value!r}",
                    property="@context",
                    value=term,
                )
            if iri_value not in KEYWORDS and is_keyword_form(iri_value):
                defined[term] = True
                return False
            iri = _expand_iri(
                active,
                iri_value,
                vocab=True,
                document_relative=False,
                scope=scope,
                processor=self,
            )
            if iri is None or not (iri in KEYWORDS or ":" in iri):
                raise JsonLdError(
                    "invalid IRI mapping",
                    f"@id of term {term!r} does not expand to an IRI: {iri_value!r}",
                    property="@context",
                    value=term,
                )
            if iri == "@context":
                raise JsonLdError(
                    "invalid keyword alias",
                    f"term {term!r} cannot be an alias of @context",
                    property="@context",
                    value=term,
                )
            definition.iri = iri

            # Step 14.2.4: a term that looks like an IRI must expand to itself.
            if has_colon_or_slash:
                defined[term] = True
                own = _expand_iri(
                    active,
                    term,
                    vocab=True,
                    document_relative=False,
                    scope=scope,
                    processor=self,
                )
                if own != iri:
                    raise JsonLdError(
                        "invalid IRI mapping",
                        f"term {term!r} looks like an IRI but maps to {iri!r}",
                        property="@context",
                        value=term,
                    )

            # Step 14.2.5.
            if (
                ":" not in term
                and "/" not in term
                and simple_term
                and (iri[-1] in _GEN_DELIMS or iri.startswith("_:"))
            ):
                definition.prefix = True
            return True
        if colon > 0:
            # Step 15: a compact IRI or an IRI as the term.
            prefix = term[:colon]
            suffix = term[colon + 1 :]
            if prefix in scope.context:
                self.create_term_definition(active, scope, prefix)
            prefix_definition = active.terms.get(prefix)
            if prefix_definition is not None and prefix_definition.iri is not None:
                definition.iri = prefix_definition.iri + suffix
            else:
                definition.iri = term
            return True
        if "/" in term:
            # Step 16: a relative IRI as the term.
            iri = _expand_iri(active, term, vocab=True, document_relative=False)
            if iri is None or ":" not in iri:
                raise JsonLdError(
                    "invalid IRI mapping",
                    f"term {term!r} does not expand to an IRI",
                    property="@context",
                    value=term,
                )
            definition.iri = iri
            return True
        if term == "@type":
            # Step 17.
            definition.iri = "@type"
            return True

        # Step 18.
        if active.vocab is None:
            raise JsonLdError(
                "invalid IRI mapping",
                f"term {term!r} has no @id and the context has no @vocab",
                property="@context",
                value=term,
            )
        definition.iri = active.vocab + term
        return True

    def _set_container(
        self, term: str, container: Any, definition: TermDefinition, mode: str
    ) -> None:
        # Step 19 of Create Term Definition.
        values = container if isinstance(container, list) else [container]
        error = JsonLdError(
            "invalid container mapping",
            f"term {term!r} has an invalid @container {container!r}",
            property="@context",
            value=term,
        )
        if not all(
            isinstance(item, str) and item in _CONTAINER_KEYWORDS for item in values
        ):
            raise error
        items = frozenset(values)
        if mode == JSON_LD_1_0 and (
            not isinstance(container, str) or items & {"@graph", "@id", "@type"}
        ):
            raise error
        if len(items) != len(values) or not _valid_container(items):
            raise error
        definition.container = items
        if "@type" in items:
            if definition.type is None:
                definition.type = "@id"
            if definition.type not in ("@id", "@vocab"):
                raise JsonLdError(
                    "invalid type mapping",
                    f"term {term!r} has a @type container, so its @type must be "
                    f"@id or @vocab, got {definition.type!r}",
                    property="@context",
                    value=term,
                )

    def _set_scoped_context(
        self,
        active: ActiveContext,
        scope: _LocalScope,
        term: str,
        context: Any,
        definition: TermDefinition,
    ) -> None:
        # Step 21 of Create Term Definition: process once to validate it.
        if active.mode == JSON_LD_1_0:
            raise JsonLdError(
                "invalid term definition",
                f"@context on term {term!r} needs processing mode json-ld-1.1",
                property="@context",
                value=term,
            )
        try:
            self.process(
                active,
                context,
                scope.base_url,
                remote_contexts=list(scope.remote_contexts),
                override_protected=True,
                propagate=True,
                validate_scoped=False,
            )
        except JsonLdError as e:
            raise JsonLdError(
                "invalid scoped context",
                f"the scoped context of term {term!r} is invalid ({e.detail})",
                property="@context",
                value=term,
            ) from e
        definition.context = context
        definition.context_key = canonical_context_key(context)
        definition.base_url = scope.base_url

    def _set_language_and_direction(
        self, term: str, value: dict[str, Any], definition: TermDefinition
    ) -> None:
        # Steps 22 and 23 of Create Term Definition.
        if "@language" in value:
            language = value["@language"]
            if language is not None and not isinstance(language, str):
                raise JsonLdError(
                    "invalid language mapping",
                    f"@language of term {term!r} must be a string or null",
                    property="@context",
                    value=term,
                )
            definition.language = (
                language.lower() if isinstance(language, str) else None
            )
        if "@direction" in value:
            direction = value["@direction"]
            if direction not in (None, "ltr", "rtl"):
                raise JsonLdError(
                    "invalid base direction",
                    f"@direction of term {term!r} must be 'ltr', 'rtl' or null",
                    property="@context",
                    value=term,
                )
            definition.direction = direction

    def _set_prefix_flag(
        self, term: str, prefix: Any, definition: TermDefinition, mode: str
    ) -> None:
        # Step 25 of Create Term Definition.
        if mode == JSON_LD_1_0 or ":" in term or "/" in term:
            raise JsonLdError(
                "invalid term definition",
                f"@prefix is not allowed on term {term!r}",
                property="@context",
                value=term,
            )
        if not isinstance(prefix, bool):
            raise JsonLdError(
                "invalid @prefix value",
                f"@prefix of term {term!r} must be true or false",
                property="@context",
                value=term,
            )
        if prefix and definition.iri in KEYWORDS:
            raise JsonLdError(
                "invalid term definition",
                f"term {term!r} is a keyword alias and cannot be a prefix",
                property="@context",
                value=term,
            )
        definition.prefix = prefix


def _valid_container(items: frozenset[str]) -> bool:
    # Step 19.1 of Create Term Definition: the allowed combinations.
    if len(items) == 1:
        return True
    rest = items - {"@set"}
    if "@graph" in items:
        return rest - {"@graph"} <= {"@id"} or rest - {"@graph"} <= {"@index"}
    if "@set" in items:
        return len(rest) == 1 and "@list" not in rest
    return False


_initial_contexts: weakref.WeakKeyDictionary[
    BundledDocumentLoader, dict[tuple[str | None, str], ActiveContext]
] = weakref.WeakKeyDictionary()


def initial_context(
    loader: BundledDocumentLoader, *, base: str | None, mode: str
) -> ActiveContext:
    """Return the shared empty active context for ``loader``, ``base`` and ``mode``.

    Every context derived from it is cached on it, so it lives as long as the loader.
    """
    # NOTE: contexts are treated as immutable once loaded. A document that
    # BundledDocumentLoader.add_document replaces for an already processed
    # URL keeps its old processed form until the loader is discarded.
    with _cache_lock:
        per_loader = _initial_contexts.get(loader)
        if per_loader is None:
            per_loader = {}
            _initial_contexts[loader] = per_loader
        key = (base, mode)
        context = per_loader.get(key)
        if context is None:
            context = ActiveContext(base=base, mode=mode)
            if len(per_loader) < MAX_DERIVED_CONTEXTS:
                per_loader[key] = context
        return context
