"""RDFC-1.0 canonicalization and canonical N-Quads.

The W3C RDFC-1.0 test suite in ``tests/vectors/rdf-canon`` runs entry by
entry. Unit tests cover the canonical N-Quads escaping rules, the parser and
the work limit against poison datasets.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from vcwork.errors import ParsingError, ProofTransformationError
from vcwork.jsonld import rdfc
from vcwork.jsonld.nquads import (
    parse_nquads,
    serialize_nquads,
    serialize_quad,
    serialize_term,
)
from vcwork.jsonld.rdf import RDF_LANGSTRING, XSD_STRING, Quad, Term
from vcwork.jsonld.rdfc import (
    DEFAULT_MAX_DEEP_ITERATIONS,
    canonical_nquads,
    canonicalize_quads,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
RDF_CANON = VECTORS / "rdf-canon"
EX = "http://example.org/"


def _read(path: Path) -> str:
    # Bytes, not read_text(): newline translation would hide a \r difference.
    return path.read_bytes().decode("utf-8")


def _manifest_entries(kind: str) -> list[Any]:
    manifest = json.loads(_read(RDF_CANON / "manifest.jsonld"))
    params = []
    for entry in manifest["entries"]:
        if entry["type"] == f"rdfc:{kind}":
            params.append(pytest.param(entry, id=entry["id"].lstrip("#")))
    return params


def _hash_algorithm(entry: dict[str, Any]) -> str:
    return str(entry.get("hashAlgorithm", "SHA256"))


def _literal(value: str) -> Term:
    return ("L", value, XSD_STRING, None)


def _quad(subject: Term, object_: Term, graph: Term | None = None) -> Quad:
    return (subject, ("I", EX + "p"), object_, graph)


# -- W3C RDFC-1.0 test suite -------------------------------------------------


def test_manifest_lists_every_kind_of_test() -> None:
    assert len(_manifest_entries("RDFC10EvalTest")) == 64
    assert len(_manifest_entries("RDFC10MapTest")) == 21
    assert len(_manifest_entries("RDFC10NegativeEvalTest")) == 1


@pytest.mark.parametrize("entry", _manifest_entries("RDFC10EvalTest"))
def test_rdfc10_eval(entry: dict[str, Any]) -> None:
    quads = parse_nquads(_read(RDF_CANON / entry["action"]))
    expected = (RDF_CANON / entry["result"]).read_bytes()

    result = canonicalize_quads(quads, hash_algorithm=_hash_algorithm(entry))

    assert result.nquads.encode("utf-8") == expected


@pytest.mark.parametrize("entry", _manifest_entries("RDFC10MapTest"))
def test_rdfc10_issued_identifiers_map(entry: dict[str, Any]) -> None:
    quads = parse_nquads(_read(RDF_CANON / entry["action"]))
    expected = json.loads(_read(RDF_CANON / entry["result"]))
    input_labels = {
        term[1] for quad in quads for term in quad if term and term[0] == "B"
    }

    result = canonicalize_quads(quads, hash_algorithm=_hash_algorithm(entry))

    assert dict(result.issued_identifiers_map) == expected
    assert set(result.issued_identifiers_map) == input_labels


@pytest.mark.parametrize("entry", _manifest_entries("RDFC10NegativeEvalTest"))
def test_rdfc10_negative_poison(entry: dict[str, Any]) -> None:
    quads = parse_nquads(_read(RDF_CANON / entry["action"]))

    with pytest.raises(ProofTransformationError) as raised:
        canonicalize_quads(quads, hash_algorithm=_hash_algorithm(entry))

    assert "max_deep_iterations" in str(raised.value)
    assert raised.value.code == "PROOF_TRANSFORMATION_ERROR"


# -- Canonical forms from the Data Integrity vectors ---------------------------

# Already canonical N-Quads files, so canonicalizing them must return them
# unchanged. They are copied into tests/vectors with the proof test vectors.
REQUIRED_CANONICAL_FILE = "eddsa-rdfc-2022/canonDocDataInt.txt"
CANONICAL_FILE_PATTERNS = (
    "**/canonDoc*.txt",
    "**/proofCanon*.txt",
    "**/document-canon.txt",
    "**/proof-canon.txt",
)


def _canonical_files() -> list[Any]:
    found = {
        path.relative_to(VECTORS).as_posix()
        for pattern in CANONICAL_FILE_PATTERNS
        for path in VECTORS.glob(pattern)
        if "JCS" not in path.name  # eddsa-jcs-2022 canonical forms are JSON
    }
    params = [pytest.param(name, id=name) for name in sorted(found)]
    if REQUIRED_CANONICAL_FILE not in found:
        params.append(
            pytest.param(
                REQUIRED_CANONICAL_FILE,
                id=REQUIRED_CANONICAL_FILE,
                marks=pytest.mark.xfail(
                    reason="the eddsa-rdfc-2022 vectors are not in tests/vectors yet",
                    run=False,
                ),
            )
        )
    return params


@pytest.mark.parametrize("name", _canonical_files())
def test_canonical_vector_is_fixed_point(name: str) -> None:
    text = _read(VECTORS / name)

    assert canonical_nquads(parse_nquads(text)) == text


# -- Canonical N-Quads escaping ----------------------------------------------

# Canonical N-Quads: ECHAR for these seven characters, UCHAR with upper-case
# hex for the other C0 controls and DEL, every other character as itself.
ECHAR_EXPECTED = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
CONTROL_CHARACTERS = [chr(code) for code in [*range(0x20), 0x7F]]


@pytest.mark.parametrize(
    "character", CONTROL_CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CONTROL_CHARACTERS]
)
def test_control_character_escape(character: str) -> None:
    expected = ECHAR_EXPECTED.get(character, f"\\u{ord(character):04X}")

    assert serialize_term(_literal(f"a{character}b")) == f'"a{expected}b"'


@pytest.mark.parametrize("character", ['"', "\\"])
def test_quote_and_backslash_use_echar(character: str) -> None:
    assert serialize_term(_literal(character)) == f'"{ECHAR_EXPECTED[character]}"'


def test_uchar_hex_digits_are_upper_case() -> None:
    assert serialize_term(_literal("\x1b\x7f")) == '"\\u001B\\u007F"'


@pytest.mark.parametrize(
    "text",
    ["'", "é", "\u0080", "\u00a0", "\u2028", "\u221e", "\U0001f303", "<>{}|^`"],
)
def test_other_characters_are_not_escaped(text: str) -> None:
    assert serialize_term(_literal(text)) == f'"{text}"'


@pytest.mark.parametrize(
    "character", CONTROL_CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CONTROL_CHARACTERS]
)
def test_control_character_round_trip(character: str) -> None:
    quad = _quad(("I", EX + "s"), _literal(f"x{character}y"))

    assert parse_nquads(serialize_quad(quad)) == [quad]


def test_literal_forms() -> None:
    assert serialize_term(_literal("v")) == '"v"'
    assert serialize_term(("L", "v", RDF_LANGSTRING, "en-US")) == '"v"@en-US'
    assert (
        serialize_term(("L", "1", "http://www.w3.org/2001/XMLSchema#integer", None))
        == '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    )


def test_iri_is_written_unchanged() -> None:
    iri = "http://example.org/caf\u00e9?q=1&r=%20#frag"

    assert serialize_term(("I", iri)) == f"<{iri}>"


def test_malformed_quad_shape_rejected() -> None:
    with pytest.raises(ProofTransformationError):
        serialize_quad((("I", EX + "s"), ("I", EX + "p")))  # type: ignore[arg-type]


def test_quad_layout() -> None:
    subject: Term = ("B", "b0")
    default = _quad(subject, _literal("v"))
    named = _quad(subject, ("I", EX + "o"), ("I", EX + "g"))

    assert serialize_quad(default) == f'_:b0 <{EX}p> "v" .\n'
    assert serialize_quad(named) == f"_:b0 <{EX}p> <{EX}o> <{EX}g> .\n"
    assert serialize_nquads([named, default]) == (
        serialize_quad(named) + serialize_quad(default)
    )


@pytest.mark.parametrize(
    "iri", [EX + "a b", EX + "a>b", EX + 'a"b', EX + "a\nb", EX + "a\\b", "x{y}"]
)
def test_iri_without_canonical_form_rejected(iri: str) -> None:
    with pytest.raises(ProofTransformationError):
        serialize_term(("I", iri))


@pytest.mark.parametrize("language", ["", "en US", 'en"', "en-", "-en", "en--ltr"])
def test_invalid_language_tag_rejected(language: str) -> None:
    with pytest.raises(ProofTransformationError):
        serialize_term(("L", "v", RDF_LANGSTRING, language))


def test_unpaired_surrogate_rejected() -> None:
    with pytest.raises(ProofTransformationError):
        serialize_term(_literal("a\ud800b"))


def test_lang_string_without_language_rejected() -> None:
    with pytest.raises(ProofTransformationError):
        serialize_term(("L", "v", RDF_LANGSTRING, None))


@pytest.mark.parametrize(
    "term",
    [(), ("X", "a"), ("I",), ("I", "a", "b"), ("L", "v"), "I", ("B", "a b"), ("B", "")],
)
def test_malformed_term_rejected(term: Any) -> None:
    with pytest.raises(ProofTransformationError):
        serialize_term(term)


# -- N-Quads parsing ---------------------------------------------------------


def test_parse_terms() -> None:
    text = (
        "# a comment line\n"
        "\n"
        f'<{EX}s> <{EX}p> "plain" .\n'
        f'_:b0 <{EX}p> "hallo"@de-AT <{EX}g> .  # trailing comment\n'
        f'_:b0 <{EX}p> "5"^^<http://www.w3.org/2001/XMLSchema#integer> _:g .\n'
        f"<{EX}s>\t<{EX}p>\t_:b1 .\n"
        f'<{EX}s><{EX}p>"x".'
    )

    assert parse_nquads(text) == [
        (("I", EX + "s"), ("I", EX + "p"), _literal("plain"), None),
        (
            ("B", "b0"),
            ("I", EX + "p"),
            ("L", "hallo", RDF_LANGSTRING, "de-AT"),
            ("I", EX + "g"),
        ),
        (
            ("B", "b0"),
            ("I", EX + "p"),
            ("L", "5", "http://www.w3.org/2001/XMLSchema#integer", None),
            ("B", "g"),
        ),
        (("I", EX + "s"), ("I", EX + "p"), ("B", "b1"), None),
        (("I", EX + "s"), ("I", EX + "p"), _literal("x"), None),
    ]


def test_parse_explicit_xsd_string_is_plain_literal() -> None:
    text = f'<{EX}s> <{EX}p> "v"^^<{XSD_STRING}> .\n'

    assert parse_nquads(text)[0][2] == _literal("v")


def test_parse_escapes() -> None:
    text = f'<{EX}\\u0073> <{EX}p> "\\t\\b\\n\\r\\f\\"\\\'\\\\ \\u00E9 \\U0001F303" .\n'

    assert parse_nquads(text) == [
        (
            ("I", EX + "s"),
            ("I", EX + "p"),
            _literal("\t\b\n\r\f\"'\\ é \U0001f303"),
            None,
        )
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_parse_line_endings(newline: str) -> None:
    line = f"<{EX}s> <{EX}p> <{EX}o> ."
    text = newline.join([line, line, ""])

    assert len(parse_nquads(text)) == 2


@pytest.mark.parametrize(
    "line",
    [
        f"<{EX}s> <{EX}p> <{EX}o>",  # no final dot
        f'"s" <{EX}p> <{EX}o> .',  # literal subject
        f"<{EX}s> _:p <{EX}o> .",  # blank node predicate
        f"<{EX}s> <{EX}p> <{EX}o> <{EX}g> <{EX}x> .",  # five terms
        f"<{EX}s> <{EX}p> <{EX}o> . extra",
        f'<{EX}s> <{EX}p> "unterminated .',
        f'<{EX}s> <{EX}p> "bad escape \\x" .',
        f"<{EX}a b> <{EX}p> <{EX}o> .",  # space in IRI
        f"<{EX}s> <{EX}p> _:b. .",  # blank node label ends with a dot
        f'<{EX}s> <{EX}p> "v"@ .',
    ],
)
def test_parse_malformed_line_names_line_number(line: str) -> None:
    text = f"<{EX}s> <{EX}p> <{EX}o> .\n# comment\n{line}\n"

    with pytest.raises(ParsingError, match="line 3"):
        parse_nquads(text)


@pytest.mark.parametrize("escape", ["\\uD800", "\\U00110000"])
def test_parse_escape_outside_unicode_rejected(escape: str) -> None:
    with pytest.raises(ParsingError, match="line 1"):
        parse_nquads(f'<{EX}s> <{EX}p> "{escape}" .\n')


def test_parse_escaped_space_in_iri_rejected() -> None:
    with pytest.raises(ParsingError, match="line 1"):
        parse_nquads(f"<{EX}a\\u0020b> <{EX}p> <{EX}o> .\n")


def test_suite_inputs_round_trip() -> None:
    for path in sorted((RDF_CANON / "rdfc10").glob("*-in.nq")):
        quads = parse_nquads(_read(path))

        assert parse_nquads(serialize_nquads(quads)) == quads, path.name


# -- Canonicalization --------------------------------------------------------


def test_duplicate_quads_removed() -> None:
    quad = _quad(("B", "x"), _literal("v"))

    result = canonicalize_quads([quad, quad, quad])

    assert result.nquads == f'_:c14n0 <{EX}p> "v" .\n'
    assert dict(result.issued_identifiers_map) == {"x": "c14n0"}


def test_empty_dataset() -> None:
    result = canonicalize_quads([])

    assert result.nquads == ""
    assert dict(result.issued_identifiers_map) == {}


def test_default_and_named_graph_kept_apart() -> None:
    default = _quad(("I", EX + "s"), _literal("v"))
    named = _quad(("I", EX + "s"), _literal("v"), ("I", EX + "g"))

    lines = canonical_nquads([named, default]).splitlines(keepends=True)

    assert lines == [serialize_quad(default), serialize_quad(named)]


@pytest.mark.parametrize("name", ["sha256", "SHA256", "SHA-256", "sha384", "SHA384"])
def test_hash_algorithm_names(name: str) -> None:
    quads = parse_nquads(_read(RDF_CANON / "rdfc10" / "test020-in.nq"))

    assert canonical_nquads(quads, hash_algorithm=name)


def test_sha384_can_change_labels() -> None:
    quads = parse_nquads(_read(RDF_CANON / "rdfc10" / "test075-in.nq"))

    sha256 = canonicalize_quads(quads).issued_identifiers_map
    sha384 = canonicalize_quads(quads, hash_algorithm="sha384").issued_identifiers_map

    assert dict(sha256) != dict(sha384)


def test_unknown_hash_algorithm_rejected() -> None:
    with pytest.raises(ValueError, match="md5"):
        canonicalize_quads([], hash_algorithm="md5")


def test_negative_limit_rejected() -> None:
    with pytest.raises(ValueError, match="max_deep_iterations"):
        canonicalize_quads([], max_deep_iterations=-1)


def test_unique_first_degree_hashes_need_no_deep_iterations() -> None:
    quads = parse_nquads(_read(RDF_CANON / "rdfc10" / "test003-in.nq"))

    assert canonical_nquads(quads, max_deep_iterations=0) == _read(
        RDF_CANON / "rdfc10" / "test003-rdfc10.nq"
    )


def test_low_limit_stops_shared_hashes() -> None:
    # Circle of two blank nodes: their first degree hashes are equal.
    quads = parse_nquads(_read(RDF_CANON / "rdfc10" / "test021-in.nq"))

    with pytest.raises(ProofTransformationError, match="max_deep_iterations=1 "):
        canonicalize_quads(quads, max_deep_iterations=1)


def test_default_limit_leaves_room_for_evil_poison() -> None:
    # test044 needs 279 deep iterations per shared blank node.
    quads = parse_nquads(_read(RDF_CANON / "rdfc10" / "test044-in.nq"))

    assert DEFAULT_MAX_DEEP_ITERATIONS >= 279
    with pytest.raises(ProofTransformationError):
        canonicalize_quads(quads, max_deep_iterations=278)
    assert canonicalize_quads(quads, max_deep_iterations=279).nquads


def test_repeated_mentions_need_one_permutation() -> None:
    # Two blank nodes with equal first degree hashes that each point 12 times
    # at the same node in 12 graphs. The related node appears 12 times in its
    # list, but all 12! orders are the same path, so one is enough and a
    # small work limit suffices.
    quads: list[Quad] = []
    for index in range(12):
        graph: Term = ("I", f"{EX}g{index}")
        quads.append(_quad(("B", "e0"), ("B", "x"), graph))
        quads.append(_quad(("B", "e1"), ("B", "x"), graph))

    result = canonicalize_quads(quads, max_deep_iterations=5)
    assert result.nquads.count("\n") == 24
    assert set(result.issued_identifiers_map) == {"e0", "e1", "x"}


def test_deep_recursion_raises_domain_error() -> None:
    # A list of 2000 equal items: each middle node shares its first degree hash,
    # and Hash N-Degree Quads walks the chain recursively.
    quads: list[Quad] = [_quad(("I", EX + "s"), ("B", "n0"))]
    for index in range(2000):
        node: Term = ("B", f"n{index}")
        quads.append((node, ("I", EX + "first"), _literal("same"), None))
        quads.append((node, ("I", EX + "rest"), ("B", f"n{index + 1}"), None))

    with pytest.raises(ProofTransformationError, match="recursed deeper than 150"):
        canonicalize_quads(quads, max_deep_iterations=10**9)


@pytest.mark.parametrize(
    "quad",
    [
        (("L", "s", XSD_STRING, None), ("I", EX + "p"), ("I", EX + "o"), None),
        (("I", EX + "s"), ("B", "p"), ("I", EX + "o"), None),
        (("I", EX + "s"), ("I", EX + "p"), ("I", EX + "o"), _literal("g")),
        (("I", EX + "s"), ("I", EX + "p"), ("I", EX + "o")),
        (("I", EX + "s"), ("I", EX + "p"), ("I", EX + "o b"), None),
        (("I", 5), ("I", EX + "p"), ("I", EX + "o"), None),
        (["I", EX + "s"], ("I", EX + "p"), ("I", EX + "o"), None),
        (("I", EX + "s"), ("I", EX + "p"), ("L", b"v", XSD_STRING, None), None),
        None,
    ],
)
def test_malformed_quad_rejected(quad: Any) -> None:
    with pytest.raises(ProofTransformationError):
        canonicalize_quads([quad])


def test_term_cache_stays_bounded() -> None:
    quads = [_quad(("I", EX + "s"), _literal(f"value {i}")) for i in range(10_000)]

    assert len(canonical_nquads(quads).splitlines()) == 10_000
    assert len(rdfc._TERM_TEXT_CACHE) <= rdfc._TERM_TEXT_CACHE_SIZE


def test_long_terms_serialized_without_cache() -> None:
    long_iri = EX + "x" * 1000
    quad = _quad(("I", long_iri), _literal("v" * 1000))

    for _ in range(2):
        assert canonical_nquads([quad]) == serialize_quad(quad)
    assert ("I", long_iri) not in rdfc._TERM_TEXT_CACHE


def _relabel_and_shuffle(quads: list[Quad], rng: random.Random) -> list[Quad]:
    labels = sorted({str(t[1]) for q in quads for t in q if t and t[0] == "B"})
    new_labels = [f"r{index}" for index in range(len(labels))]
    rng.shuffle(new_labels)
    mapping = dict(zip(labels, new_labels, strict=True))

    def relabel(term: Term | None) -> Any:
        if term is not None and term[0] == "B":
            return ("B", mapping[str(term[1])])
        return term

    result: list[Quad] = [
        (relabel(s), p, relabel(o), relabel(g)) for s, p, o, g in quads
    ]
    rng.shuffle(result)
    return result


@pytest.mark.parametrize("entry", _manifest_entries("RDFC10EvalTest"))
def test_isomorphic_input_same_output(entry: dict[str, Any]) -> None:
    rng = random.Random(entry["id"])
    quads = parse_nquads(_read(RDF_CANON / entry["action"]))
    expected = canonical_nquads(quads, hash_algorithm=_hash_algorithm(entry))

    for _ in range(3):
        shuffled = _relabel_and_shuffle(quads, rng)

        assert canonical_nquads(shuffled, hash_algorithm=_hash_algorithm(entry)) == (
            expected
        )


def _random_dataset(rng: random.Random) -> list[Quad]:
    # Few predicates and values, so blank nodes often share first degree hashes.
    blank_nodes: list[Term] = [("B", f"n{index}") for index in range(rng.randint(2, 8))]
    iris: list[Term] = [("I", f"{EX}{name}") for name in ("a", "b")]
    predicates: list[Term] = [("I", f"{EX}{name}") for name in ("p", "q")]
    quads: list[Quad] = []
    for _ in range(rng.randint(2, 14)):
        subject = rng.choice([*blank_nodes, iris[0]])
        object_ = rng.choice([*blank_nodes, *iris, _literal("v")])
        graph = rng.choice([None, None, iris[1], *blank_nodes[:2]])
        quads.append((subject, rng.choice(predicates), object_, graph))
    return quads


def test_random_isomorphic_datasets_same_output() -> None:
    rng = random.Random(20240521)
    for _ in range(300):
        quads = _random_dataset(rng)
        expected = canonical_nquads(quads, max_deep_iterations=10**6)
        shuffled = _relabel_and_shuffle(quads, rng)

        assert canonical_nquads(shuffled, max_deep_iterations=10**6) == expected, quads
