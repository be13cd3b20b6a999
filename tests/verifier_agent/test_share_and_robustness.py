"""Share links, unreachable sources, hostile input, size and rate limits."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from vcwork.badges import AchievementSubject, Profile, open_badge_credential
from vcwork.badges.catalog import construction_pre_apprenticeship_catalog
from vcwork.credentials import create_presentation, issue_credential, sign_presentation
from vcwork.dates import utcnow
from vcwork.exchange.oid4vp import ShareDocument


class _ShareHandler(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.documents.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def share_host() -> Iterator[tuple[str, dict[str, bytes]]]:
    documents: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_ShareHandler,), {"documents": documents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", documents
    server.shutdown()


def _share(parties: Any, origin: str, **changes: Any) -> bytes:
    challenge = changes.pop("challenge", "share-1")
    domain = changes.pop("domain", origin)
    presentation = sign_presentation(
        create_presentation(parties.badges, holder=parties.holder_did),
        parties.holder_key,
        challenge=challenge,
        domain=domain,
    )
    share = ShareDocument(
        presentation=presentation,
        challenge=changes.pop("share_challenge", challenge),
        domain=domain,
        expires=changes.pop("expires", datetime.now(UTC) + timedelta(days=1)),
    )
    return json.dumps(share.to_json()).encode()


def test_share_link_opens_result(client: httpx.Client, parties, share_host) -> None:  # type: ignore[no-untyped-def]
    origin, documents = share_host
    documents["/s/abc"] = _share(parties, origin)
    response = client.get(
        "/share", params={"u": f"{origin}/s/abc"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert 'data-verdict="verified"' in response.text
    assert "share link" in response.text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"domain": "https://other-wallet.example"}, "copied"),
        ({"expires": datetime(2020, 1, 1, tzinfo=UTC)}, "expired"),
    ],
)
def test_share_link_rejections(
    client: httpx.Client, parties, share_host, changes, expected
) -> None:  # type: ignore[no-untyped-def]
    origin, documents = share_host
    documents["/s/bad"] = _share(parties, origin, **changes)
    response = client.get("/share", params={"u": f"{origin}/s/bad"})
    assert response.status_code == 502
    assert expected in response.text


def test_share_wrong_challenge_fails(client: httpx.Client, parties, share_host) -> None:  # type: ignore[no-untyped-def]
    origin, documents = share_host
    documents["/s/c"] = _share(parties, origin, share_challenge="something-else")
    response = client.get(
        "/share", params={"u": f"{origin}/s/c"}, follow_redirects=True
    )
    assert 'data-verdict="failed"' in response.text


def test_share_withdrawn_link(client: httpx.Client, share_host) -> None:
    origin, _ = share_host
    response = client.get("/share", params={"u": f"{origin}/s/gone"})
    assert response.status_code == 502
    assert "withdrawn" in response.text


@pytest.mark.parametrize("url", ["", "ftp://127.0.0.1/x", "http://example.org/s/1"])
def test_share_link_url_rejected(client: httpx.Client, url: str) -> None:
    response = client.get("/share", params={"u": url})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]


def test_unreachable_status_list_is_partial(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    catalog = construction_pre_apprenticeship_catalog(
        issuer_base="https://construction-pathways.example"
    )
    entry = next(iter(catalog))
    closed = "http://127.0.0.1:9/status/1"
    credential = open_badge_credential(
        id=f"urn:uuid:{uuid.uuid4()}",
        issuer=Profile(id=parties.issuer_did, name="Construction Pathways Program"),
        subject=AchievementSubject(
            id=parties.holder_did, achievement=entry.achievement
        ),
        valid_from=utcnow() - timedelta(minutes=1),
    )
    credential["credentialStatus"] = {
        "id": f"{closed}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": closed,
    }
    signed = issue_credential(credential, parties.issuer_key)
    response = client.post("/credentials/verify", json={"verifiableCredential": signed})
    codes = [e["code"] for e in response.json()["errors"]]
    assert response.status_code == 400
    assert codes == ["STATUS_RETRIEVAL_ERROR"]
    page = client.get(f"/results/{response.json()['resultId']}")
    assert 'data-verdict="partial"' in page.text
    assert "could not be reached" in page.text


HOSTILE_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b"\xff\xfe\x00",
    b'{"verifiableCredential": 5}',
    b'{"verifiableCredential": []}',
    b'{"verifiableCredential": {}, "options": "x"}',
    b'{"verifiableCredential": {"proof": {"type": 1}}}',
    b'{"verifiableCredential": {"@context": 7, "type": {}, "proof": []}}',
    b'{"verifiableCredential": {"@context": ["https://evil.example/ctx"], '
    b'"type": ["VerifiableCredential"], "issuer": "did:key:z1", '
    b'"credentialSubject": {}, "proof": {"type": "DataIntegrityProof"}}}',
    b'{"a": ' * 200 + b"1" + b"}" * 200,
    b'{"verifiableCredential": ' + b"[" * 5000 + b"]" * 5000 + b"}",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
@pytest.mark.parametrize("path", ["/credentials/verify", "/presentations/verify"])
def test_hostile_bodies_are_4xx(client: httpx.Client, path: str, body: bytes) -> None:
    response = client.post(
        path, content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    problem = response.json()
    assert problem.get("status") == response.status_code or problem["verified"] is False


def test_hostile_presentation_is_4xx(client: httpx.Client) -> None:
    body = {
        "verifiablePresentation": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [1, "x", {"type": "EnvelopedVerifiableCredential"}],
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "nope"},
        },
        "options": {"challenge": 5},
    }
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 400


def test_oversized_body_is_413(client: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    body = b'{"verifiableCredential": "' + b"a" * settings.max_body_bytes + b'"}'
    response = client.post("/credentials/verify", content=body)
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_chunked_oversized_body_is_413(client: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"a" * 65536

    response = client.post("/credentials/verify", content=chunks())
    assert response.status_code == 413


def test_rate_limit_per_client(settings, start_verifier) -> None:  # type: ignore[no-untyped-def]
    with start_verifier(settings, rate_limit_requests=3) as server:
        with httpx.Client(base_url=server.url) as client:
            statuses = [
                client.get("/api/verification-counts").status_code for _ in range(5)
            ]
            limited = client.get("/api/verification-counts")
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert limited.headers["retry-after"].isdigit()
    assert limited.json()["title"] == "Too many requests"
