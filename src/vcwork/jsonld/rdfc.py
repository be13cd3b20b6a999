"""RDF Dataset Canonicalization (RDFC-1.0).

Implements the W3C Recommendation "RDF Dataset Canonicalization"
(https://www.w3.org/TR/rdf-canon/, 2024-05-21). Comments carry the spec's step
numbers: ``ca.N`` for the Canonicalization Algorithm (section 4.4.3),
``h1dq.N`` for Hash First Degree Quads (4.6.3), ``hrbn.N`` for Hash Related
Blank Node (4.7.3) and ``hndq.N`` for Hash N-Degree Quads (4.8.3).

The input is the dataset shape of :mod:`vcwork.jsonld.rdf`. Each quad is
serialized once up front (see :class:`_PreparedQuad`), so the hashing steps only
substitute blank node labels into prepared strings. Serialized IRIs and short
literals are also kept in a bounded cache shared by all calls.

Dataset poisoning (spec section 7.1): a crafted dataset can make Hash N-Degree
Quads run for a time exponential in its size. ``max_deep_iterations`` bounds
that work, and exceeding it raises :class:`~vcwork.errors.ProofTransformationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from more_itertools import distinct_permutations

from ..errors import ProofTransformationError
from .nquads import serialize_term
from .rdf import Quad, Term

__all__ = [
    "DEFAULT_MAX_DEEP_ITERATIONS",
    "HASH_ALGORITHMS",
    "CanonicalizationResult",
    "canonical_nquads",
    "canonicalize_quads",
]

# The spec fixes SHA-256 and notes that an implementation may parameterize the
# hash algorithm; the W3C test suite also runs SHA-384.
HASH_ALGORITHMS: Mapping[str, Callable[..., Any]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
}

# Work limit per blank node whose first degree hash is shared, in deep
# iterations: Hash N-Degree Quads calls plus permutations tried in its step
# hndq.5.4. The W3C suite's "poison - evil" cases (test044-046, 12 blank nodes)
# need 279 and its 10-node clique (test074, which must fail) over 2000.
DEFAULT_MAX_DEEP_ITERATIONS = 300
# Nesting of Hash N-Degree Quads calls; each level also costs a few Python
# frames, so this stays well inside the default recursion limit of 1000.
MAX_RECURSION_DEPTH = 150


@dataclass(frozen=True, slots=True)
class CanonicalizationResult:
    """Output of RDFC-1.0 for one dataset (spec step ca.7)."""

    #: Serialized canonical form: canonical N-Quads lines in code point order,
    #: each ending in ``\n``, without duplicates.
    nquads: str
    #: Issued identifiers map of the canonical issuer: input blank node label
    #: to canonical label (``c14n0``, ``c14n1`` ...), in order of issue.
    issued_identifiers_map: Mapping[str, str]


class _PreparedQuad(NamedTuple):
    """A quad with each non-blank component serialized once.

    A blank node component has ``None`` as its text and its label in the
    matching ``*_label`` field. ``graph_text`` is ``""`` for the default graph.
    """

    subject_text: str | None
    subject_label: str | None
    predicate_text: str
    object_text: str | None
    object_label: str | None
    graph_text: str | None
    graph_label: str | None


class _IdentifierIssuer:
    """Identifier issuer (spec section 4.5) with its issued identifiers map."""

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        """Issue Identifier algorithm (spec section 4.5.2)."""
        issued = self.issued.get(existing)  # iia.1
        if issued is not None:
            return issued
        issued = f"{self.prefix}{self.counter}"  # iia.2
        self.issued[existing] = issued  # iia.3
        self.counter += 1  # iia.4
        return issued  # iia.5

    def copy(self) -> _IdentifierIssuer:
        clone = _IdentifierIssuer(self.prefix)
        clone.counter = self.counter
        clone.issued = self.issued.copy()
        return clone


class _CanonicalizationState:
    """Canonicalization state (spec section 4.3) plus the work limit."""

    def __init__(self, hash_function: Callable[..., Any]) -> None:
        self.hash_function = hash_function
        self.blank_node_to_quads: dict[str, list[_PreparedQuad]] = {}
        self.canonical_issuer = _IdentifierIssuer("c14n")
        self.first_degree_hashes: dict[str, str] = {}
        self.deep_iterations = 0
        self.depth = 0
        self.deep_iteration_limit = 0
        self.max_deep_iterations = 0

    def spend_deep_iteration(self) -> None:
        """Count one unit of Hash N-Degree Quads work against the limit."""
        self.deep_iterations += 1
        if self.deep_iterations > self.deep_iteration_limit:
            raise ProofTransformationError(
                "RDF canonicalization stopped after "
                f"{self.deep_iteration_limit} Hash N-Degree Quads iterations "
                f"(max_deep_iterations={self.max_deep_iterations} per blank node "
                "with a shared first degree hash), so the dataset may be a poison "
                "dataset. Simplify the blank node structure of the input or "
                "raise max_deep_iterations",
                property="max_deep_iterations",
                value=self.max_deep_iterations,
            )

    def hash(self, data: str) -> str:
        digest: str = self.hash_function(data.encode("utf-8")).hexdigest()
        return digest


# Serialized IRIs and literals, shared across calls because credentials repeat
# the same vocabulary IRIs and values. Only short terms are kept (an image can
# be a data: IRI of many kilobytes), and the cache is emptied when full.
_TERM_TEXT_CACHE: dict[Term, str] = {}
_TERM_TEXT_CACHE_SIZE = 8192
_CACHED_TEXT_MAX_LENGTH = 256


def _serialize_and_cache(term: Term) -> str:
    text = serialize_term(term)
    if len(text) <= _CACHED_TEXT_MAX_LENGTH:
        if len(_TERM_TEXT_CACHE) >= _TERM_TEXT_CACHE_SIZE:
            _TERM_TEXT_CACHE.clear()
        _TERM_TEXT_CACHE[term] = text
    return text


def _invalid_quad(quad: object, problem: str) -> ProofTransformationError:
    return ProofTransformationError(
        f"Invalid quad: {problem}. Terms are ('I', iri), ('B', label) and "
        "('L', lexical_form, datatype, language_or_None)",
        value=quad,
    )


class _PreparedDataset(NamedTuple):
    """The input quads, deduplicated and serialized once.

    ``ground_lines`` contains the final N-Quads line of every quad without a blank
    node, ``blank_node_quads`` every other quad.
    """

    ground_lines: set[str]
    blank_node_quads: list[_PreparedQuad]


def _prepare_dataset(quads: Iterable[Quad]) -> _PreparedDataset:
    ground_lines: set[str] = set()
    blank_node_quads: dict[_PreparedQuad, None] = {}
    cached_text = _TERM_TEXT_CACHE.get
    for quad in quads:
        try:
            subject, predicate, object_, graph = quad
            subject_label = object_label = graph_label = None
            subject_text = object_text = graph_text = None
            if subject[0] == "B":
                subject_label = subject[1]
            elif subject[0] == "I":
                subject_text = cached_text(subject) or _serialize_and_cache(subject)
            else:
                raise _invalid_quad(quad, "the subject must be an IRI or blank node")
            if predicate[0] != "I":
                raise _invalid_quad(quad, "the predicate must be an IRI")
            predicate_text = cached_text(predicate) or _serialize_and_cache(predicate)
            if object_[0] == "B":
                object_label = object_[1]
            else:
                object_text = cached_text(object_) or _serialize_and_cache(object_)
            if graph is None:
                graph_text = ""
            elif graph[0] == "B":
                graph_label = graph[1]
            elif graph[0] == "I":
                graph_text = cached_text(graph) or _serialize_and_cache(graph)
            else:
                raise _invalid_quad(
                    quad, "the graph name must be an IRI, blank node or None"
                )
        except (TypeError, ValueError, IndexError):
            raise _invalid_quad(
                quad, "expected (subject, predicate, object, graph)"
            ) from None

        if subject_label is None and object_label is None and graph_label is None:
            if graph_text:
                line = f"{subject_text} {predicate_text} {object_text} {graph_text} .\n"
            else:
                line = f"{subject_text} {predicate_text} {object_text} .\n"
            ground_lines.add(line)
            continue
        prepared = _PreparedQuad(
            subject_text,
            subject_label,
            predicate_text,
            object_text,
            object_label,
            graph_text,
            graph_label,
        )
        blank_node_quads[prepared] = None
    return _PreparedDataset(ground_lines, list(blank_node_quads))


def _serialize_with_labels(quad: _PreparedQuad, label_of: Mapping[str, str]) -> str:
    """Serialize a prepared quad, writing blank node X as ``_:`` + label_of[X]."""
    subject = quad.subject_text
    if subject is None:
        subject = "_:" + label_of[str(quad.subject_label)]
    object_ = quad.object_text
    if object_ is None:
        object_ = "_:" + label_of[str(quad.object_label)]
    graph = quad.graph_text
    if graph is None:
        graph = "_:" + label_of[str(quad.graph_label)]
    if graph:
        return f"{subject} {quad.predicate_text} {object_} {graph} .\n"
    return f"{subject} {quad.predicate_text} {object_} .\n"


def _hash_first_degree_quads(state: _CanonicalizationState, reference: str) -> str:
    """Hash First Degree Quads (spec section 4.6.3)."""
    nquads = []  # h1dq.1
    for quad in state.blank_node_to_quads[reference]:  # h1dq.2, h1dq.3
        # h1dq.3.1.1: the reference blank node is written _:a, any other _:z.
        subject = quad.subject_text
        if subject is None:
            subject = "_:a" if quad.subject_label == reference else "_:z"
        object_ = quad.object_text
        if object_ is None:
            object_ = "_:a" if quad.object_label == reference else "_:z"
        graph = quad.graph_text
        if graph is None:
            graph = "_:a" if quad.graph_label == reference else "_:z"
        if graph:
            nquads.append(f"{subject} {quad.predicate_text} {object_} {graph} .\n")
        else:
            nquads.append(f"{subject} {quad.predicate_text} {object_} .\n")
    nquads.sort()  # h1dq.4
    return state.hash("".join(nquads))  # h1dq.5


def _hash_related_blank_node(
    state: _CanonicalizationState,
    related: str,
    quad: _PreparedQuad,
    issuer: _IdentifierIssuer,
    position: str,
) -> str:
    """Hash Related Blank Node (spec section 4.7.3)."""
    data = position  # hrbn.1
    if position != "g":  # hrbn.2: predicate_text is "<" + IRI + ">"
        data += quad.predicate_text
    identifier = state.canonical_issuer.issued.get(related)  # hrbn.3
    if identifier is None:
        identifier = issuer.issued.get(related)
    if identifier is not None:
        data += "_:" + identifier
    else:  # hrbn.4
        data += state.first_degree_hashes[related]
    return state.hash(data)  # hrbn.5


def _path_is_worse(path: str, chosen_path: str) -> bool:
    # hndq.5.4.4.3 and hndq.5.4.5.5: stop extending a path that can no longer
    # become the chosen path.
    return bool(chosen_path) and len(path) >= len(chosen_path) and path > chosen_path


def _hash_n_degree_quads(
    state: _CanonicalizationState, identifier: str, issuer: _IdentifierIssuer
) -> tuple[str, _IdentifierIssuer]:
    """Hash N-Degree Quads (spec section 4.8.3), bounded by the work limit."""
    # The recursion depth is bounded here rather than by Python's recursion
    # limit, which other libraries in the same process may raise (web3 sets it
    # to 100,000) until deep recursion overflows the C stack.
    state.depth += 1
    try:
        if state.depth > MAX_RECURSION_DEPTH:
            raise RecursionError("Hash N-Degree Quads recursion depth")
        return _hash_n_degree_quads_step(state, identifier, issuer)
    finally:
        state.depth -= 1


def _hash_n_degree_quads_step(
    state: _CanonicalizationState, identifier: str, issuer: _IdentifierIssuer
) -> tuple[str, _IdentifierIssuer]:
    state.spend_deep_iteration()
    hash_to_related: dict[str, list[str]] = {}  # hndq.1
    canonical_issued = state.canonical_issuer.issued
    for quad in state.blank_node_to_quads[identifier]:  # hndq.2, hndq.3
        for position, related in (
            ("s", quad.subject_label),
            ("o", quad.object_label),
            ("g", quad.graph_label),
        ):
            if related is None or related == identifier:
                continue
            related_hash = _hash_related_blank_node(  # hndq.3.1.1
                state, related, quad, issuer, position
            )
            hash_to_related.setdefault(related_hash, []).append(related)  # hndq.3.1.2

    data_to_hash = []  # hndq.4
    for related_hash in sorted(hash_to_related):  # hndq.5
        data_to_hash.append(related_hash)  # hndq.5.1
        chosen_path = ""  # hndq.5.2
        chosen_issuer = issuer  # hndq.5.3: always replaced by the first permutation
        # A blank node related through several quads appears several times in
        # its list. Permutations that differ only in the order of such copies
        # give the same path, so each distinct order is tried once.
        for permutation in distinct_permutations(hash_to_related[related_hash]):
            state.spend_deep_iteration()
            issuer_copy = issuer.copy()  # hndq.5.4.1
            path = ""  # hndq.5.4.2
            recursion_list = []  # hndq.5.4.3
            skip = False
            for related in permutation:  # hndq.5.4.4
                canonical = canonical_issued.get(related)
                if canonical is not None:  # hndq.5.4.4.1
                    path += "_:" + canonical
                else:  # hndq.5.4.4.2
                    if related not in issuer_copy.issued:
                        recursion_list.append(related)
                    path += "_:" + issuer_copy.issue(related)
                if _path_is_worse(path, chosen_path):  # hndq.5.4.4.3
                    skip = True
                    break
            if skip:
                continue
            for related in recursion_list:  # hndq.5.4.5
                result_hash, result_issuer = _hash_n_degree_quads(
                    state, related, issuer_copy
                )  # hndq.5.4.5.1
                path += "_:" + issuer_copy.issue(related)  # hndq.5.4.5.2
                path += f"<{result_hash}>"  # hndq.5.4.5.3
                issuer_copy = result_issuer  # hndq.5.4.5.4
                if _path_is_worse(path, chosen_path):  # hndq.5.4.5.5
                    skip = True
                    break
            if skip:
                continue
            if not chosen_path or path < chosen_path:  # hndq.5.4.6
                chosen_path = path
                chosen_issuer = issuer_copy
        data_to_hash.append(chosen_path)  # hndq.5.5
        issuer = chosen_issuer  # hndq.5.6
    return state.hash("".join(data_to_hash)), issuer  # hndq.6


def _resolve_hash_function(hash_algorithm: str) -> Callable[..., Any]:
    name = hash_algorithm.lower().replace("-", "")
    hash_function = HASH_ALGORITHMS.get(name)
    if hash_function is None:
        raise ValueError(
            f"Unsupported hash_algorithm {hash_algorithm!r}: expected one of "
            f"{', '.join(sorted(HASH_ALGORITHMS))}"
        )
    return hash_function


def canonicalize_quads(
    quads: Iterable[Quad],
    *,
    hash_algorithm: str = "sha256",
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
) -> CanonicalizationResult:
    """Canonicalize an RDF dataset with RDFC-1.0 (spec section 4.4.3).

    ``quads`` is read as a set: duplicate quads appear once in the output.
    ``hash_algorithm`` is ``"sha256"`` (the spec's algorithm) or ``"sha384"``.
    ``max_deep_iterations`` bounds the work of Hash N-Degree Quads: the calls
    plus the permutations tried in its step hndq.5.4 may total at most
    ``max_deep_iterations`` times the number of blank nodes whose first degree
    hash is shared with another one. Datasets where every blank node has a
    unique first degree hash never reach the limit.

    Raises :class:`~vcwork.errors.ProofTransformationError` for a malformed
    term, a value without a canonical N-Quads form, or a dataset that exceeds
    the work limit. Raises ``ValueError`` for an unsupported ``hash_algorithm``
    or a negative ``max_deep_iterations``.
    """
    hash_function = _resolve_hash_function(hash_algorithm)
    if max_deep_iterations < 0:
        raise ValueError(
            f"max_deep_iterations must be 0 or more, got {max_deep_iterations}"
        )

    # ca.1: the input is a set of quads, so duplicates are dropped here.
    state = _CanonicalizationState(hash_function)
    dataset = _prepare_dataset(quads)

    _map_blank_nodes_to_quads(state, dataset.blank_node_quads)  # ca.2
    hash_to_blank_nodes, shared_hashes = _issue_unique_identifiers(state)  # ca.3, ca.4

    # ca.5: blank nodes with shared first degree hashes, within the work limit.
    shared_count = sum(len(hash_to_blank_nodes[h]) for h in shared_hashes)
    state.max_deep_iterations = max_deep_iterations
    state.deep_iteration_limit = max_deep_iterations * shared_count
    try:
        _issue_shared_identifiers(state, hash_to_blank_nodes, shared_hashes)
    except RecursionError:
        raise ProofTransformationError(
            "RDF canonicalization stopped: Hash N-Degree Quads recursed deeper "
            f"than {MAX_RECURSION_DEPTH} levels, so the dataset may be a poison "
            "dataset. Simplify the blank node structure of the input",
            property="max_deep_iterations",
            value=max_deep_iterations,
        ) from None

    # ca.6, ca.7: serialized canonical form with the issued identifiers map.
    issued = state.canonical_issuer.issued
    lines = [_serialize_with_labels(quad, issued) for quad in dataset.blank_node_quads]
    lines.extend(dataset.ground_lines)
    lines.sort()
    return CanonicalizationResult(nquads="".join(lines), issued_identifiers_map=issued)


def _map_blank_nodes_to_quads(
    state: _CanonicalizationState, quads: list[_PreparedQuad]
) -> None:
    """Step ca.2: the blank node to quads map.

    A quad is listed once per blank node even when that blank node fills two
    of its positions, because the map contains the set of quads that mention it.
    """
    blank_node_to_quads = state.blank_node_to_quads
    for quad in quads:
        for label in (quad.subject_label, quad.object_label, quad.graph_label):
            if label is None:
                continue
            mentions = blank_node_to_quads.get(label)
            if mentions is None:
                blank_node_to_quads[label] = [quad]
            elif mentions[-1] is not quad:
                mentions.append(quad)


def _issue_unique_identifiers(
    state: _CanonicalizationState,
) -> tuple[dict[str, list[str]], list[str]]:
    """Steps ca.3 and ca.4: first degree hashes, canonical identifiers for unique ones.

    Returns the hash to blank nodes map and its shared hashes in code point order.
    """
    hash_to_blank_nodes: dict[str, list[str]] = {}
    for label in state.blank_node_to_quads:  # ca.3
        first_degree_hash = _hash_first_degree_quads(state, label)  # ca.3.1
        state.first_degree_hashes[label] = first_degree_hash
        hash_to_blank_nodes.setdefault(first_degree_hash, []).append(label)  # ca.3.2

    shared_hashes = []
    for first_degree_hash in sorted(hash_to_blank_nodes):  # ca.4
        identifier_list = hash_to_blank_nodes[first_degree_hash]
        if len(identifier_list) > 1:  # ca.4.1
            shared_hashes.append(first_degree_hash)
            continue
        state.canonical_issuer.issue(identifier_list[0])  # ca.4.2, ca.4.3
    return hash_to_blank_nodes, shared_hashes


def _issue_shared_identifiers(
    state: _CanonicalizationState,
    hash_to_blank_nodes: Mapping[str, list[str]],
    shared_hashes: list[str],
) -> None:
    """Step ca.5: canonical identifiers for blank nodes with shared hashes."""
    canonical_issuer = state.canonical_issuer
    for first_degree_hash in shared_hashes:
        hash_path_list = []  # ca.5.1
        for label in hash_to_blank_nodes[first_degree_hash]:  # ca.5.2
            if label in canonical_issuer.issued:  # ca.5.2.1
                continue
            temporary_issuer = _IdentifierIssuer("b")  # ca.5.2.2
            temporary_issuer.issue(label)  # ca.5.2.3
            hash_path_list.append(  # ca.5.2.4
                _hash_n_degree_quads(state, label, temporary_issuer)
            )
        # ca.5.3: results with equal hashes may be taken in either order.
        hash_path_list.sort(key=lambda result: result[0])
        for _, result_issuer in hash_path_list:
            for existing in result_issuer.issued:  # ca.5.3.1
                canonical_issuer.issue(existing)


def canonical_nquads(
    quads: Iterable[Quad],
    *,
    hash_algorithm: str = "sha256",
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
) -> str:
    """Return the RDFC-1.0 serialized canonical form of a dataset.

    Same arguments and errors as :func:`canonicalize_quads`.
    """
    result = canonicalize_quads(
        quads,
        hash_algorithm=hash_algorithm,
        max_deep_iterations=max_deep_iterations,
    )
    return result.nquads
