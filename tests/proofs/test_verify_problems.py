"""Tampered or malformed proofs fail with the spec's problem code and never raise."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcwork.errors import DidResolutionError
from vcwork.proofs import ProofSetResult, get_cryptosuite, sign, verify

from .conftest import VectorResolver, load_json, load_key_pair

VERIFICATION_TIME = datetime(2025, 1, 1, tzinfo=UTC)
VECTOR_METHOD = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)

SIGNED_VECTORS = {
    "rdfc": "eddsa-rdfc-2022/signedDataInt.json",
    "rdfc-employ": "eddsa-rdfc-2022/employ/signedDataInt.json",
    "jcs": "eddsa-jcs-2022/signedJCS.json",
    "ed25519-2020": "Ed25519Signature2020/signedEdSig.json",
}


def _codes(result: ProofSetResult) -> list[str]:
    return [problem.code for problem in result.problems]


def _verify(document: Any, resolver: VectorResolver, **options: Any) -> ProofSetResult:
    options.setdefault("now", VERIFICATION_TIME)
    return verify(document, resolver=resolver, **options)


def _change_last_character(value: str) -> str:
    """Replace the last character with a different one of the same kind."""
    last = value[-1]
    if last.isdigit():
        replacement = str((int(last) + 1) % 10)
    elif last.isalpha():
        base = "A" if last.isupper() else "a"
        replacement = chr((ord(last) - ord(base) + 1) % 26 + ord(base))
        if not replacement.isascii() or replacement == last:
            replacement = "x"
    else:
        replacement = "x"
    return value[:-1] + replacement


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every string leaf, skipping @context and proofValue."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("@context", "proofValue"):
                yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _set_path(document: Any, path: tuple[Any, ...], value: Any) -> None:
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _get_path(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _leaf_cases() -> Iterator[Any]:
    for vector_id, file in SIGNED_VECTORS.items():
        for path in _leaf_paths(load_json(file)):
            label = ".".join(str(step) for step in path)
            yield pytest.param(file, path, id=f"{vector_id}:{label}")


# A changed proof property fails its own check. A changed claim fails the signature.
PROOF_PROPERTY_CODES = {
    "created": "MALFORMED_VALUE_ERROR",
    "verificationMethod": "notFound",
}


@pytest.mark.parametrize(("file", "path"), list(_leaf_cases()))
def test_changed_leaf_string_fails(
    file: str, path: tuple[Any, ...], resolver: VectorResolver
) -> None:
    document = load_json(file)
    _set_path(document, path, _change_last_character(_get_path(document, path)))
    result = _verify(document, resolver)
    assert not result.verified
    if path[0] == "proof":
        expected = {PROOF_PROPERTY_CODES.get(path[-1], "PROOF_VERIFICATION_ERROR")}
    elif "type" in path:
        # A changed type name may no longer expand under the contexts, which
        # safe mode reports before any signature check.
        expected = {"PROOF_VERIFICATION_ERROR", "PROOF_TRANSFORMATION_ERROR"}
    else:
        expected = {"PROOF_VERIFICATION_ERROR"}
    assert expected & set(_codes(result))


@pytest.mark.parametrize(
    "file", list(SIGNED_VECTORS.values()), ids=list(SIGNED_VECTORS)
)
def test_changed_proof_value_fails(file: str, resolver: VectorResolver) -> None:
    document = load_json(file)
    document["proof"]["proofValue"] = _change_last_character(
        document["proof"]["proofValue"]
    )
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert result.problems[0].detail == "proof does not verify"


@pytest.mark.parametrize(
    ("file", "cryptosuite"),
    [
        ("eddsa-rdfc-2022/signedDataInt.json", "eddsa-jcs-2022"),
        ("eddsa-jcs-2022/signedJCS.json", "eddsa-rdfc-2022"),
        ("eddsa-rdfc-2022/signedDataInt.json", "eddsa-rdfc-2099"),
    ],
    ids=["rdfc-as-jcs", "jcs-as-rdfc", "unknown"],
)
def test_changed_cryptosuite_fails(
    file: str, cryptosuite: str, resolver: VectorResolver
) -> None:
    document = load_json(file)
    document["proof"]["cryptosuite"] = cryptosuite
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]


def test_unknown_cryptosuite_names_it(resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2099"
    result = _verify(document, resolver)
    assert result.problems[0].property == "proof.cryptosuite"
    assert "eddsa-rdfc-2099" in result.problems[0].detail
    assert resolver.calls == [], "an unknown suite must not resolve keys"


def test_jcs_without_proof_context_fails(resolver: VectorResolver) -> None:
    document = load_json("eddsa-jcs-2022/signedJCS.json")
    del document["proof"]["@context"]
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]


def test_jcs_proof_context_not_prefix_fails(resolver: VectorResolver) -> None:
    document = load_json("eddsa-jcs-2022/signedJCS.json")
    document["@context"] = list(reversed(document["@context"]))
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert result.problems[0].property == "proof.@context"


def test_jcs_appended_document_context_verifies(resolver: VectorResolver) -> None:
    # The proof's @context is a prefix of the document's, so a context added
    # after signing (by another proof of a set) does not break this proof.
    document = load_json("eddsa-jcs-2022/signedJCS.json")
    document["@context"].append("https://w3id.org/security/data-integrity/v2")
    result = _verify(document, resolver)
    assert result.problems == ()
    assert result.verified


def test_wrong_proof_purpose_fails(resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    result = _verify(document, resolver, proof_purpose="authentication")
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert result.problems[0].property == "proof.proofPurpose"


def test_wrong_purpose_still_checks_signature(resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    document["name"] = "Changed Credential"
    result = _verify(document, resolver, proof_purpose="authentication")
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR", "PROOF_VERIFICATION_ERROR"]
    assert [p.property for p in result.problems] == [
        "proof.proofPurpose",
        "proof.proofValue",
    ]


def _signed(**options: Any) -> dict[str, Any]:
    return sign(
        load_json("common/unsigned.json"),
        load_key_pair("common/keyPair.json"),
        verification_method=VECTOR_METHOD,
        created="2024-06-01T12:00:00Z",
        **options,
    )


def test_matching_challenge_and_domain_verify(resolver: VectorResolver) -> None:
    document = _signed(challenge="c-123", domain="verifier.example")
    result = _verify(document, resolver, challenge="c-123", domain="verifier.example")
    assert result.problems == ()
    assert result.verified


@pytest.mark.parametrize(
    ("signed_challenge", "expected_challenge"),
    [("c-123", "c-456"), (None, "c-456")],
    ids=["different", "missing"],
)
def test_wrong_challenge_fails(
    signed_challenge: str | None, expected_challenge: str, resolver: VectorResolver
) -> None:
    options = {} if signed_challenge is None else {"challenge": signed_challenge}
    result = _verify(_signed(**options), resolver, challenge=expected_challenge)
    assert not result.verified
    assert _codes(result) == ["INVALID_CHALLENGE_ERROR"]


@pytest.mark.parametrize(
    ("signed_domain", "expected_domain"),
    [
        ("a.example", "b.example"),
        (None, "b.example"),
        (["a.example", "b.example"], "b.example"),
    ],
    ids=["different", "missing", "subset"],
)
def test_wrong_domain_fails(
    signed_domain: Any, expected_domain: str, resolver: VectorResolver
) -> None:
    options = {} if signed_domain is None else {"domain": signed_domain}
    result = _verify(_signed(**options), resolver, domain=expected_domain)
    assert not result.verified
    assert _codes(result) == ["INVALID_DOMAIN_ERROR"]


def test_domain_list_in_any_order_verifies(resolver: VectorResolver) -> None:
    document = _signed(domain=["a.example", "b.example"])
    result = _verify(document, resolver, domain=["b.example", "a.example"])
    assert result.problems == ()
    assert result.verified


def test_expired_proof_fails(resolver: VectorResolver) -> None:
    document = _signed(expires="2024-07-01T00:00:00Z")
    result = _verify(document, resolver, now=datetime(2024, 7, 2, tzinfo=UTC))
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert result.problems[0].property == "proof.expires"


def test_expiry_within_clock_skew_verifies(resolver: VectorResolver) -> None:
    document = _signed(expires="2024-07-01T00:00:00Z")
    now = datetime(2024, 7, 1, tzinfo=UTC) + timedelta(minutes=4)
    assert _verify(document, resolver, now=now).verified


def test_created_in_future_fails(resolver: VectorResolver) -> None:
    document = _signed()
    result = _verify(document, resolver, now=datetime(2024, 6, 1, 11, 50, tzinfo=UTC))
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert result.problems[0].property == "proof.created"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("created", "yesterday"),
        ("created", "2024-06-01T12:00:00"),
        ("created", "2024-02-30T12:00:00Z"),
        ("expires", 1717243200),
    ],
    ids=["words", "no-time-zone", "impossible-date", "number"],
)
def test_malformed_timestamp_fails(
    name: str, value: Any, resolver: VectorResolver
) -> None:
    document = _signed()
    document["proof"][name] = value
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["MALFORMED_VALUE_ERROR"]
    assert result.problems[0].property == f"proof.{name}"


@pytest.mark.parametrize(
    "document",
    [
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x"},
        {"proof": "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9"},
        {"proof": []},
        {"proof": [None]},
        ["not", "an", "object"],
    ],
    ids=[
        "missing-proof",
        "proof-is-string",
        "empty-list",
        "list-of-null",
        "not-object",
    ],
)
def test_missing_or_non_object_proof_fails(
    document: Any, resolver: VectorResolver
) -> None:
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PARSING_ERROR"]


@pytest.mark.parametrize(
    "proof_value",
    ["not-multibase", "zzzz", "z0OIl", "u" + "A" * 86, 12345, ["z2Yw"]],
    ids=["no-prefix", "too-short", "bad-alphabet", "base64url", "number", "list"],
)
def test_garbage_proof_value_fails(proof_value: Any, resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    document["proof"]["proofValue"] = proof_value
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["MALFORMED_VALUE_ERROR"]
    assert result.problems[0].property == "proof.proofValue"


@pytest.mark.parametrize(
    "name", ["type", "verificationMethod", "proofPurpose", "cryptosuite", "proofValue"]
)
def test_missing_required_property_fails(name: str, resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    del document["proof"][name]
    result = _verify(document, resolver)
    assert not result.verified
    assert "PROOF_VERIFICATION_ERROR" in _codes(result)
    assert f"proof.{name}" in [problem.property for problem in result.problems]


@pytest.mark.parametrize("name", ["type", "verificationMethod", "proofPurpose"])
def test_non_string_required_property_fails(
    name: str, resolver: VectorResolver
) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    document["proof"][name] = {"id": "x"}
    result = _verify(document, resolver)
    assert not result.verified
    assert "MALFORMED_VALUE_ERROR" in _codes(result)


class _FailingResolver:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def dereference_verification_method(
        self, did_url: str, *, relationship: str
    ) -> Any:
        raise self.error


def test_resolver_error_becomes_problem() -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    error = DidResolutionError("no such DID", error="notFound")
    result = verify(document, resolver=_FailingResolver(error), now=VERIFICATION_TIME)
    assert not result.verified
    assert _codes(result) == ["notFound"]
    assert result.results[0].verification_method is None


def test_resolver_crash_becomes_problem() -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    crash = _FailingResolver(RuntimeError("connection reset"))
    result = verify(document, resolver=crash, now=VERIFICATION_TIME)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert "connection reset" in result.problems[0].detail


def test_cryptosuite_crash_becomes_problem(
    resolver: VectorResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = get_cryptosuite("eddsa-rdfc-2022")

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("unexpected")

    monkeypatch.setattr(suite, "verify_proof", crash)
    result = _verify(load_json("eddsa-rdfc-2022/signedDataInt.json"), resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_VERIFICATION_ERROR"]
    assert "KeyError" in result.problems[0].detail


def test_unknown_context_fails(resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    document["@context"].append("https://unknown.example/context/v1")
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PARSING_ERROR"]
    assert "https://unknown.example/context/v1" in result.problems[0].detail


def test_undefined_term_fails(resolver: VectorResolver) -> None:
    document = sign(
        {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/security/data-integrity/v2",
            ],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "issuanceDate": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject"},
        },
        load_key_pair("common/keyPair.json"),
        verification_method=VECTOR_METHOD,
    )
    document["credentialSubject"]["undefinedTerm"] = "value"
    result = _verify(document, resolver, now=datetime.now(UTC))
    assert not result.verified
    assert _codes(result) == ["PROOF_TRANSFORMATION_ERROR"]
    assert "undefinedTerm" in result.problems[0].detail


def test_verify_does_not_modify_document(resolver: VectorResolver) -> None:
    document = load_json("proof-set-chain/signedProofChain2.json")
    original = copy.deepcopy(document)
    _verify(document, resolver)
    assert document == original


def test_rdfc_document_without_context_fails(resolver: VectorResolver) -> None:
    document = load_json("eddsa-rdfc-2022/signedDataInt.json")
    del document["@context"]
    result = _verify(document, resolver)
    assert not result.verified
    assert _codes(result) == ["PROOF_TRANSFORMATION_ERROR"]
    assert result.problems[0].property == "@context"
