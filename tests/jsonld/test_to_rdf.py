"""JSON-LD to RDF (``vcwork.jsonld.to_rdf``), checked three ways.

1. The W3C JSON-LD 1.1 toRdf suite in ``tests/vectors/jsonld-api``, run with
   ``safe=False`` and compared after RDFC-1.0 canonicalization of both sides.
2. Equality with pyld's ``jsonld.normalize`` and with the canonical forms
   shipped with the Data Integrity EdDSA vectors.
3. Safe mode: terms, types and IRIs that the spec drops raise with their path.

Canonicalization in this file uses pyld's URDNA2015 implementation so that the
comparison does not depend on our own RDFC-1.0 code.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from pyld.canon import URDNA2015

from vcwork.errors import DocumentLoaderError, ProofTransformationError
from vcwork.jsonld import BundledDocumentLoader, default_loader
from vcwork.jsonld.context import JsonLdError
from vcwork.jsonld.rdf import RDF_LANGSTRING, XSD_STRING, Quad, Term
from vcwork.jsonld.to_rdf import to_rdf

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SUITE = VECTORS / "jsonld-api"
SUITE_BASE = "https://w3c.github.io/json-ld-api/tests/"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
CREDENTIALS_UNDEFINED_TERMS = "https://www.w3.org/ns/credentials/undefined-terms/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

# Tests of features this implementation leaves out on purpose.
UNSUPPORTED_OPTIONS = {
    "produceGeneralizedRdf": "generalized RDF (blank node predicates) is not produced",
    "expandContext": "the expandContext option is not supported",
}


class SuiteLoader(BundledDocumentLoader):
    """Serve the suite's base URL from the copied folder, other URLs as bundled."""

    def load(self, url: str) -> Any:
        if not url.startswith(SUITE_BASE):
            return super().load(url)
        path = SUITE / url[len(SUITE_BASE) :]
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise DocumentLoaderError(f"test document {url!r} not loadable: {e}") from e


SUITE_LOADER = SuiteLoader()


# -- canonical comparison through pyld --------------------------------------


def _pyld_term(term: Term) -> dict[str, Any]:
    if term[0] == "I":
        return {"type": "IRI", "value": term[1]}
    if term[0] == "B":
        return {"type": "blank node", "value": "_:" + term[1]}
    literal = {"type": "literal", "value": term[1], "datatype": term[2]}
    if term[3] is not None:
        literal["language"] = term[3]
    return literal


def canonical(quads: list[Quad]) -> str:
    """Return the URDNA2015 N-Quads of our quads, computed by pyld."""
    dataset: dict[str, list[dict[str, Any]]] = {}
    for subject, predicate, value, graph in quads:
        if graph is None:
            name = "@default"
        elif graph[0] == "B":
            name = "_:" + graph[1]
        else:
            name = graph[1]
        dataset.setdefault(name, []).append(
            {
                "subject": _pyld_term(subject),
                "predicate": _pyld_term(predicate),
                "object": _pyld_term(value),
            }
        )
    options = {"algorithm": "URDNA2015", "format": "application/n-quads"}
    result: str = URDNA2015().main(dataset, options)
    return result


_NQUADS_TERM = re.compile(
    r'\s*(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"'
    r"(?:\^\^<([^>]*)>|@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*))?)"
)
_NQUADS_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_NQUADS_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        return _NQUADS_ECHAR.get(match.group(3), match.group(3))

    return _NQUADS_ESCAPE.sub(replace, text)


def parse_expected_nquads(text: str) -> list[Quad]:
    """Parse the suite's N-Quads output files (one statement per line).

    pyld's own parser mis-reads some escapes (``\\\\n``), so the test has its own.
    """
    quads: list[Quad] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        terms: list[Term] = []
        position = 0
        while True:
            match = _NQUADS_TERM.match(line, position)
            if match is None:
                break
            iri, blank, lexical, datatype, language = match.groups()
            if iri is not None:
                terms.append(("I", _unescape(iri)))
            elif blank is not None:
                terms.append(("B", blank))
            elif language is not None:
                terms.append(("L", _unescape(lexical), RDF_LANGSTRING, language))
            else:
                terms.append(("L", _unescape(lexical), datatype or XSD_STRING, None))
            position = match.end()
        assert line[position:].strip() == ".", f"cannot parse N-Quads line {line!r}"
        graph = terms[3] if len(terms) == 4 else None
        quads.append((terms[0], terms[1], terms[2], graph))
    # Some expected files repeat a statement, but a dataset contains it once.
    return list(dict.fromkeys(quads))


# -- 1. the W3C toRdf suite ---------------------------------------------------


def _suite_params() -> list[Any]:
    manifest = json.loads((SUITE / "toRdf-manifest.jsonld").read_text("utf-8"))
    params = []
    for entry in manifest["sequence"]:
        test_id = entry["@id"].lstrip("#")
        options = entry.get("option", {})
        marks = []
        reason = None
        if options.get("specVersion") == "json-ld-1.0":
            reason = "the test only applies to JSON-LD 1.0 processors"
        elif not (SUITE / entry["input"]).is_file():
            reason = f"the input {entry['input']} is not part of the copied toRdf suite"
        elif options.get("rdfDirection") == "compound-literal":
            reason = "rdfDirection 'compound-literal' is not supported"
        for option, option_reason in UNSUPPORTED_OPTIONS.items():
            if option in options:
                reason = option_reason
        if reason is not None:
            marks.append(pytest.mark.xfail(reason=reason, strict=False))
        params.append(pytest.param(entry, id=test_id, marks=marks))
    return params


def _run_suite_entry(entry: dict[str, Any]) -> list[Quad]:
    options = entry.get("option", {})
    input_path = SUITE / entry["input"]
    document = json.loads(input_path.read_text("utf-8"))
    return to_rdf(
        document,
        loader=SUITE_LOADER,
        safe=False,
        base=options.get("base", SUITE_BASE + entry["input"]),
        processing_mode=options.get("processingMode", "json-ld-1.1"),
        rdf_direction=options.get("rdfDirection"),
    )


@pytest.mark.parametrize("entry", _suite_params())
def test_suite_entry(entry: dict[str, Any]) -> None:
    types = entry["@type"]
    if "jld:NegativeEvaluationTest" in types:
        with pytest.raises((JsonLdError, DocumentLoaderError)) as caught:
            _run_suite_entry(entry)
        if isinstance(caught.value, JsonLdError):
            assert caught.value.jsonld_code == entry["expectErrorCode"]
        else:
            assert entry["expectErrorCode"] in (
                "loading remote context failed",
                "loading document failed",
            )
        return
    quads = _run_suite_entry(entry)
    if "jld:PositiveSyntaxTest" in types:
        return
    expected = (SUITE / entry["expect"]).read_text("utf-8")
    assert canonical(quads) == canonical(parse_expected_nquads(expected))


# -- 2. equality with pyld and with the Data Integrity vectors -----------------

PYLD_DOCUMENTS = [
    "common/unsigned.json",
    "common/employmentAuth.json",
    "eddsa-rdfc-2022/signedDataInt.json",
    "eddsa-rdfc-2022/proofConfigDataInt.json",
    "eddsa-rdfc-2022/employ/signedDataInt.json",
    "eddsa-rdfc-2022/employ/proofConfigDataInt.json",
    "Ed25519Signature2020/signedEdSig.json",
    "Ed25519Signature2020/proofConfigEdSig.json",
    "eddsa-jcs-2022/signedJCS.json",
    "eddsa-jcs-2022/proofConfigJCS.json",
    "proof-set-chain/signedProofSet1.json",
    "proof-set-chain/signedProofSet2.json",
    "proof-set-chain/signedProofChain1.json",
    "proof-set-chain/signedProofChain2.json",
    "proof-set-chain/proofChainTempDoc1.json",
    "proof-set-chain/proofChainTempDoc2.json",
    "proof-set-chain/unsigned.json",
]

# Unsigned documents and proof configurations with the canonical form the
# vector folder ships for them.
CANONICAL_VECTORS = [
    ("common/unsigned.json", "eddsa-rdfc-2022/canonDocDataInt.txt"),
    (
        "eddsa-rdfc-2022/proofConfigDataInt.json",
        "eddsa-rdfc-2022/proofCanonDataInt.txt",
    ),
    ("common/employmentAuth.json", "eddsa-rdfc-2022/employ/canonDocDataInt.txt"),
    (
        "eddsa-rdfc-2022/employ/proofConfigDataInt.json",
        "eddsa-rdfc-2022/employ/proofCanonDataInt.txt",
    ),
    (
        "Ed25519Signature2020/proofConfigEdSig.json",
        "Ed25519Signature2020/proofCanonEdSig.txt",
    ),
]


def _vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


@pytest.mark.parametrize("name", PYLD_DOCUMENTS)
def test_vector_matches_pyld(name: str) -> None:
    document = _vector(name)
    expected = jsonld.normalize(
        copy.deepcopy(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": default_loader(),
        },
    )
    assert canonical(to_rdf(document)) == expected


@pytest.mark.parametrize(("name", "canon_name"), CANONICAL_VECTORS)
def test_vector_matches_canonical_form(name: str, canon_name: str) -> None:
    expected = (VECTORS / canon_name).read_text("utf-8")
    assert canonical(to_rdf(_vector(name))) == expected


def test_unsigned_document_has_signed_statements() -> None:
    document = _vector("common/unsigned.json")
    quads = to_rdf(document)
    subjects = {quad[0] for quad in quads}
    assert ("I", "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33") in subjects
    assert len(quads) == len(set(quads))


def test_input_document_is_not_modified() -> None:
    document = _vector("eddsa-rdfc-2022/signedDataInt.json")
    before = copy.deepcopy(document)
    to_rdf(document)
    assert document == before


def test_concurrent_calls_agree() -> None:
    documents = [_vector(name) for name in PYLD_DOCUMENTS]
    expected = [canonical(to_rdf(document)) for document in documents]
    failures: list[str] = []

    def run() -> None:
        for document, want in zip(documents, expected, strict=True):
            if canonical(to_rdf(document)) != want:
                failures.append(str(document.get("id")))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_loader_error_propagates() -> None:
    document = {"@context": "https://example.org/unknown-context", "name": "x"}
    with pytest.raises(DocumentLoaderError, match="unknown-context"):
        to_rdf(document)


# -- 3. safe mode ------------------------------------------------------------


def _open_badge(**subject_extra: Any) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": "https://example.edu/achievements/welding-1",
        "type": ["Achievement"],
        "name": "Welding fundamentals",
        "description": "Completes a set of basic welds to code.",
        "criteria": {"narrative": "Passes the practical assessment."},
    }
    subject: dict[str, Any] = {
        "id": "did:example:learner",
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    subject.update(subject_extra)
    return {
        "@context": [CREDENTIALS_V2, OB_CONTEXT],
        "id": "urn:uuid:2f5e6a1c-4b1e-4c8f-9a7e-3f0c1d2e3f40",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "https://example.edu/issuers/565049",
            "type": ["Profile"],
            "name": "Example Training Center",
        },
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Welding fundamentals",
        "credentialSubject": subject,
    }


def _undefined_term_document(term_location: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V1],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    if term_location == "top":
        document["favoriteColor"] = "green"
    elif term_location == "subject":
        document["credentialSubject"]["favoriteColor"] = "green"
    return document


def test_open_badge_converts_in_safe_mode() -> None:
    quads = to_rdf(_open_badge())
    predicates = {quad[1][1] for quad in quads}
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement" in predicates


def test_open_badge_matches_pyld() -> None:
    document = _open_badge()
    expected = jsonld.normalize(
        copy.deepcopy(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": default_loader(),
        },
    )
    assert canonical(to_rdf(document)) == expected


def test_undefined_term_raises_with_path() -> None:
    document = _undefined_term_document("subject")
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert "'favoriteColor'" in str(caught.value)
    assert caught.value.property == "credentialSubject.favoriteColor"


def test_undefined_term_dropped_without_safe_mode() -> None:
    document = _undefined_term_document("top")
    quads = to_rdf(document, safe=False)
    assert not any("favoriteColor" in quad[1][1] for quad in quads)


def test_nested_undefined_term_raises_with_path() -> None:
    document = {
        "@context": [CREDENTIALS_V1, {"ex": "https://example.org/vocab#"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:subject",
            "ex:achievement": {"ex:name": "Welding", "unknownProp": 1},
        },
    }
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property == "credentialSubject.ex:achievement.unknownProp"
    assert "'unknownProp'" in str(caught.value)


def test_ob_achievement_unknown_prop_raises() -> None:
    document = _open_badge()
    document["credentialSubject"]["achievement"]["unknownProp"] = "x"
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property == "credentialSubject.achievement.unknownProp"


def test_proof_options_without_context_raise() -> None:
    # Proof options are only JSON-LD once the document's @context is added.
    document = _vector("proof-set-chain/proofSetConfig1.json")
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property in set(document)
    assert to_rdf(document, safe=False) == []


def test_null_mapped_term_raises() -> None:
    document = {
        "@context": {"@vocab": "https://example.org/vocab#", "secret": None},
        "@id": "https://example.org/thing",
        "name": "Thing",
        "secret": "value",
    }
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert "mapped to null" in str(caught.value)
    assert caught.value.property == "secret"


def test_undefined_type_raises() -> None:
    document = _undefined_term_document("none")
    document["credentialSubject"]["type"] = "UnknownType"
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert "'UnknownType'" in str(caught.value)
    assert caught.value.property == "credentialSubject.type"


def test_undefined_type_in_array_raises_with_index() -> None:
    document = _undefined_term_document("none")
    document["type"] = ["VerifiableCredential", "UnknownType"]
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property == "type[1]"


def test_relative_id_raises() -> None:
    document = _undefined_term_document("none")
    document["credentialSubject"]["id"] = "subjects/42"
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert "'subjects/42'" in str(caught.value)
    assert caught.value.property == "credentialSubject.id"


def test_relative_id_resolves_with_base() -> None:
    document = _undefined_term_document("none")
    document["credentialSubject"]["id"] = "subjects/42"
    quads = to_rdf(document, base="https://example.org/credentials/")
    assert ("I", "https://example.org/credentials/subjects/42") in {q[2] for q in quads}


def test_relative_iri_value_raises() -> None:
    document = _open_badge()
    document["credentialSubject"]["achievement"]["image"] = {
        "id": "images/badge.png",
        "type": "Image",
    }
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property == "credentialSubject.achievement.image.id"


def test_credentials_v2_undefined_term_raises() -> None:
    # The VC 2.0 Recommendation's context has no @vocab, so nothing catches
    # an undefined term.
    document = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "favoriteColor": "green"},
    }
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert caught.value.property == "credentialSubject.favoriteColor"


def test_vocab_context_expands_undefined_terms() -> None:
    document = {
        "@context": [CREDENTIALS_V2, CREDENTIALS_UNDEFINED_TERMS],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "favoriteColor": "green"},
    }
    quads = to_rdf(document)
    expected = "https://www.w3.org/ns/credentials/undefined-term#favoriteColor"
    assert any(quad[1][1] == expected for quad in quads)


def test_keyword_like_key_raises() -> None:
    document = _undefined_term_document("none")
    document["credentialSubject"]["@unknown"] = "x"
    with pytest.raises(ProofTransformationError, match="form of a keyword"):
        to_rdf(document)


def test_invalid_language_tag_raises() -> None:
    document = {
        "@context": {"name": "https://schema.org/name"},
        "@id": "https://example.org/thing",
        "name": {"@value": "Thing", "@language": "not a tag"},
    }
    with pytest.raises(ProofTransformationError, match="language tag"):
        to_rdf(document)
    assert to_rdf(document, safe=False) == []


def test_direction_raises_unless_i18n_datatype() -> None:
    document = {
        "@context": {"name": "https://schema.org/name"},
        "@id": "https://example.org/thing",
        "name": {"@value": "Thing", "@language": "en", "@direction": "ltr"},
    }
    with pytest.raises(ProofTransformationError, match="direction"):
        to_rdf(document)
    quads = to_rdf(document, rdf_direction="i18n-datatype")
    assert quads[0][2] == ("L", "Thing", "https://www.w3.org/ns/i18n#en_ltr", None)


def test_free_floating_node_raises() -> None:
    document = {"@context": {}, "@graph": [{"@id": "https://example.org/a"}]}
    with pytest.raises(ProofTransformationError, match="has no properties"):
        to_rdf(document)
    assert to_rdf(document, safe=False) == []


def test_processing_error_is_transformation_error() -> None:
    document = {"@context": {"@vocab": 5}, "name": "x"}
    with pytest.raises(ProofTransformationError) as caught:
        to_rdf(document)
    assert isinstance(caught.value, JsonLdError)
    assert caught.value.jsonld_code == "invalid vocab mapping"


def test_protected_term_redefinition_raises() -> None:
    document = {
        "@context": [CREDENTIALS_V2, {"name": "https://example.org/name"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
    }
    with pytest.raises(JsonLdError) as caught:
        to_rdf(document)
    assert caught.value.jsonld_code == "protected term redefinition"


# -- term forms ---------------------------------------------------------------


def test_clr_undefined_xsd_prefix_stays_iri() -> None:
    # The CLR 2.0 context types sourceId as "xsd:anyURI" without defining
    # "xsd", so the datatype is the IRI "xsd:anyURI", as in the 1EdTech vector.
    document = {
        "@context": [CREDENTIALS_V2, OB_CONTEXT, CLR_CONTEXT],
        "id": "urn:uuid:7f8c9d0e-0000-4000-8000-00000000c1a5",
        "type": ["Association"],
        "associationType": "isParentOf",
        "sourceId": "urn:uuid:a7467ef6-56cb-11ec-bf63-0242ac130002",
        "targetId": "urn:uuid:dd887f0a-56cb-11ec-bf63-0242ac130002",
    }
    quads = to_rdf(document)
    literals = {quad[2] for quad in quads if quad[2][0] == "L"}
    source = ("L", "urn:uuid:a7467ef6-56cb-11ec-bf63-0242ac130002", "xsd:anyURI", None)
    assert source in literals
    expected = jsonld.normalize(
        copy.deepcopy(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": default_loader(),
        },
    )
    assert canonical(quads) == expected


def test_literal_forms() -> None:
    document = {
        "@context": {"@vocab": "https://example.org/"},
        "@id": "https://example.org/s",
        "text": "plain",
        "tagged": {"@value": "Hallo", "@language": "de-DE"},
        "integer": 5,
        "integral_float": 5.0,
        "double": 1.5,
        "large": 10**21,
        "flag": True,
        "data": {"@type": "@json", "@value": {"b": 1, "a": [True, None]}},
    }
    objects = {quad[1][1]: quad[2] for quad in to_rdf(document)}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert objects["https://example.org/text"] == ("L", "plain", XSD_STRING, None)
    assert objects["https://example.org/tagged"] == (
        "L",
        "Hallo",
        RDF_LANGSTRING,
        "de-de",
    )
    assert objects["https://example.org/integer"] == ("L", "5", xsd + "integer", None)
    assert objects["https://example.org/integral_float"] == (
        "L",
        "5",
        xsd + "integer",
        None,
    )
    assert objects["https://example.org/double"] == ("L", "1.5E0", xsd + "double", None)
    assert objects["https://example.org/large"] == ("L", "1.0E21", xsd + "double", None)
    assert objects["https://example.org/flag"] == ("L", "true", xsd + "boolean", None)
    json_literal = objects["https://example.org/data"]
    assert json_literal[1] == '{"a":[true,null],"b":1}'
    assert json_literal[2] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"


def test_blank_nodes_numbered_in_document_order() -> None:
    document = {
        "@context": {"@vocab": "https://example.org/"},
        "child": {"name": "first"},
        "other": {"@id": "_:x", "name": "second"},
    }
    labels = {
        term[1] for quad in to_rdf(document) for term in quad[:3] if term[0] == "B"
    }
    assert labels == {"b0", "b1", "b2"}


def test_non_json_input_raises_transformation_error() -> None:
    with pytest.raises(ProofTransformationError, match="not made of JSON values"):
        to_rdf({"@context": {"@vocab": "https://example.org/"}, 1: "x"})


def test_deep_nesting_raises_transformation_error() -> None:
    document: dict[str, Any] = {"@context": {"@vocab": "https://example.org/"}}
    node = document
    for _ in range(5000):
        node["child"] = {}
        node = node["child"]
    with pytest.raises(ProofTransformationError, match="nests too deeply"):
        to_rdf(document)


def test_invalid_option_rejected() -> None:
    with pytest.raises(ValueError, match="rdf_direction"):
        to_rdf({}, rdf_direction="compound-literal")
