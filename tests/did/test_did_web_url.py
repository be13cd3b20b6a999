"""did:web DID to URL mapping, its inverse and issuer documents."""

from __future__ import annotations

import pydid
import pytest

from vcwork.did import (
    DID_CONTEXT_V1,
    MULTIKEY_CONTEXT_V1,
    create_did_web_document,
    did_web_to_url,
    url_to_did_web,
)
from vcwork.errors import DidResolutionError
from vcwork.keys import Ed25519KeyPair

# Cases written for vcwork following the did:web specification's rules.
URL_TABLE = [
    ("did:web:issuer.example", "https://issuer.example/.well-known/did.json"),
    (
        "did:web:issuer.example:staff:jordan",
        "https://issuer.example/staff/jordan/did.json",
    ),
    (
        "did:web:issuer.example%3A8443",
        "https://issuer.example:8443/.well-known/did.json",
    ),
    (
        "did:web:issuer.example%3a8443:programs:welding",
        "https://issuer.example:8443/programs/welding/did.json",
    ),
    ("did:web:Issuer.Example", "https://issuer.example/.well-known/did.json"),
    ("did:web:localhost", "https://localhost/.well-known/did.json"),
    # Percent-encoded path characters: unreserved ones are decoded, others kept.
    ("did:web:issuer.example:%7Ejordan", "https://issuer.example/~jordan/did.json"),
    ("did:web:issuer.example:a%20b", "https://issuer.example/a%20b/did.json"),
    ("did:web:issuer.example:caf%C3%A9", "https://issuer.example/caf%C3%A9/did.json"),
    ("did:web:issuer.example:x%3Ay", "https://issuer.example/x:y/did.json"),
    # An internationalized domain name in its xn-- form (bücher.example).
    (
        "did:web:xn--bcher-kva.example",
        "https://xn--bcher-kva.example/.well-known/did.json",
    ),
]

HOSTILE_DIDS = [
    "did:web:evil.com%2F..",
    "did:web:evil.com%2Fpath",
    "did:web:a:..:b",
    "did:web:a:.:b",
    "did:web:a:%2E%2E:b",
    "did:web:a.example:x%2Fy",
    "did:web:a.example:x%5Cy",
    "did:web:a.example:x%00y",
    "did:web:a.example:%FF",
    "did:web:127.0.0.1%3A1%40evil",
    "did:web:evil%40127.0.0.1",
    "did:web:127.0.0.1",
    "did:web:127.1",
    "did:web:0x7f.0.0.1",
    "did:web:2130706433",
    "did:web:a.example%3A0",
    "did:web:a.example%3A65536",
    "did:web:a.example%3Ahttp",
    "did:web:a.example%3A80%3A81",
    "did:web:bücher.example",
    "did:web:b%C3%BCcher.example",
    "did:web:xn--.example",
    "did:web:-a.example",
    "did:web:a..example",
    "did:web:" + "a" * 64 + ".example",
    "did:web:",
    "did:web:a.example:",
    "did:web:a.example::b",
    "did:web::a.example",
    "did:web:a.example#key-1",
    "did:web:a.example/path",
    "did:web:a.example?query",
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "DID:web:a.example",
    "",
]


@pytest.mark.parametrize(("did", "url"), URL_TABLE)
def test_did_web_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize("did", HOSTILE_DIDS)
def test_did_web_to_url_rejects(did: str) -> None:
    with pytest.raises(DidResolutionError) as raised:
        did_web_to_url(did)
    assert raised.value.code == "invalidDid"


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://issuer.example/.well-known/did.json", "did:web:issuer.example"),
        ("https://issuer.example", "did:web:issuer.example"),
        ("https://issuer.example/", "did:web:issuer.example"),
        ("https://issuer.example:8443", "did:web:issuer.example%3A8443"),
        (
            "https://issuer.example/staff/jordan/did.json",
            "did:web:issuer.example:staff:jordan",
        ),
        ("https://issuer.example/staff/jordan", "did:web:issuer.example:staff:jordan"),
        ("https://issuer.example/x:y/did.json", "did:web:issuer.example:x%3Ay"),
        ("https://issuer.example/a%20b/did.json", "did:web:issuer.example:a%20b"),
        ("https://bücher.example/", "did:web:xn--bcher-kva.example"),
        ("http://localhost:8000/", "did:web:localhost%3A8000"),
    ],
)
def test_url_to_did_web(url: str, did: str) -> None:
    assert url_to_did_web(url) == did


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/",
        "ftp://issuer.example/",
        "https://user@issuer.example/",
        "https://issuer.example/?a=b",
        "https://issuer.example/#frag",
        "https://issuer.example/a/../b",
        "https://issuer.example//did.json",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://issuer.example:99999/",
        "not a url",
    ],
)
def test_url_to_did_web_rejects(url: str) -> None:
    with pytest.raises(DidResolutionError) as raised:
        url_to_did_web(url)
    assert raised.value.code == "invalidDid"


@pytest.mark.parametrize(("did", "url"), URL_TABLE)
def test_url_round_trip(did: str, url: str) -> None:
    assert did_web_to_url(url_to_did_web(url)) == url


def test_document_lists_rotated_keys() -> None:
    did = "did:web:issuer.example"
    old = Ed25519KeyPair.from_seed(b"\x01" * 32, id="#key-1")
    new = Ed25519KeyPair.from_seed(b"\x02" * 32, id=f"{did}#key-2")
    document = create_did_web_document(did, [old, new])

    assert document["@context"] == [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1]
    assert document["id"] == did
    assert [m["id"] for m in document["verificationMethod"]] == [
        f"{did}#key-1",
        f"{did}#key-2",
    ]
    assert document["verificationMethod"][0] == {
        "id": f"{did}#key-1",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": old.public_key_multibase,
    }
    assert document["assertionMethod"] == [f"{did}#key-1", f"{did}#key-2"]
    assert document["authentication"] == [f"{did}#key-1", f"{did}#key-2"]
    assert str(pydid.DIDDocument.deserialize(document).id) == did


def test_document_relationships_per_key() -> None:
    did = "did:web:issuer.example:programs"
    old = Ed25519KeyPair.from_seed(b"\x01" * 32, id="#key-1")
    new = Ed25519KeyPair.from_seed(b"\x02" * 32, id="#key-2")
    document = create_did_web_document(
        did,
        [old, new],
        relationships={"#key-1": ["assertionMethod"], f"{did}#key-2": []},
    )
    assert document["assertionMethod"] == [f"{did}#key-1"]
    assert "authentication" not in document
    assert len(document["verificationMethod"]) == 2


def test_document_default_method_id() -> None:
    did = "did:web:issuer.example"
    public = Ed25519KeyPair.from_seed(b"\x03" * 32).public
    document = create_did_web_document(did, [public], relationships="assertionMethod")
    method_id = f"{did}#{public.public_key_multibase}"
    assert document["verificationMethod"][0]["id"] == method_id
    assert document["assertionMethod"] == [method_id]


@pytest.mark.parametrize(
    ("keys", "relationships", "error"),
    [
        ([], ("assertionMethod",), "invalidDidDocument"),
        (
            [Ed25519KeyPair.from_seed(b"\x01" * 32, id="did:web:other.example#k")],
            ("assertionMethod",),
            "invalidDidUrl",
        ),
        (
            [
                Ed25519KeyPair.from_seed(b"\x01" * 32, id="#k"),
                Ed25519KeyPair.from_seed(b"\x02" * 32, id="#k"),
            ],
            ("assertionMethod",),
            "invalidDidDocument",
        ),
        (
            [Ed25519KeyPair.from_seed(b"\x01" * 32, id="#k")],
            ("assertionmethod",),
            "invalidDidDocument",
        ),
        (
            [Ed25519KeyPair.from_seed(b"\x01" * 32, id="#k")],
            {"#missing": ["assertionMethod"]},
            "invalidDidDocument",
        ),
    ],
)
def test_document_rejects_bad_input(
    keys: list[Ed25519KeyPair], relationships: object, error: str
) -> None:
    with pytest.raises(DidResolutionError) as raised:
        create_did_web_document(
            "did:web:issuer.example",
            keys,
            relationships=relationships,  # type: ignore[arg-type]
        )
    assert raised.value.code == error


def test_document_rejects_invalid_did() -> None:
    key = Ed25519KeyPair.from_seed(b"\x01" * 32)
    with pytest.raises(DidResolutionError) as raised:
        create_did_web_document("did:web:127.0.0.1", [key])
    assert raised.value.code == "invalidDid"
