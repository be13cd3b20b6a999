"""did:web resolution against real HTTP and HTTPS servers on 127.0.0.1."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest

from vcwork.did import DidWebOptions, create_did_web_document, resolve_did_web
from vcwork.errors import DidResolutionError
from vcwork.keys import Ed25519KeyPair

from .conftest import LocalServer, Route

WELL_KNOWN = "/.well-known/did.json"
LOOPBACK_HTTP = DidWebOptions(allow_http_loopback=True, timeout=2.0)


def _document(did: str) -> dict[str, object]:
    key = Ed25519KeyPair.from_seed(b"\x05" * 32, id="#key-1")
    return create_did_web_document(did, [key])


def _serve_document(
    server: LocalServer, did: str, path: str = WELL_KNOWN
) -> dict[str, object]:
    document = _document(did)
    server.routes[path] = Route(body=json.dumps(document).encode())
    return document


def _resolve_error(did: str, options: DidWebOptions) -> DidResolutionError:
    with pytest.raises(DidResolutionError) as raised:
        resolve_did_web(did, options=options)
    return raised.value


def test_http_loopback_success(http_server: LocalServer) -> None:
    did = http_server.did()
    document = _serve_document(http_server, did)
    assert resolve_did_web(did, options=LOOPBACK_HTTP) == document
    assert http_server.requests == [WELL_KNOWN]


def test_http_loopback_with_path(http_server: LocalServer) -> None:
    did = http_server.did("staff", "jordan")
    document = _serve_document(http_server, did, "/staff/jordan/did.json")
    assert resolve_did_web(did, options=LOOPBACK_HTTP) == document


def test_http_refused_without_opt_in(http_server: LocalServer) -> None:
    did = http_server.did()
    _serve_document(http_server, did)
    error = _resolve_error(did, DidWebOptions(timeout=2.0))
    assert error.code == "notFound"
    assert f"https://localhost:{http_server.port}" in error.detail
    assert WELL_KNOWN not in http_server.requests


def test_id_mismatch(http_server: LocalServer) -> None:
    did = http_server.did()
    _serve_document(http_server, "did:web:other.example")
    error = _resolve_error(did, LOOPBACK_HTTP)
    assert error.code == "notFound"
    assert "did:web:other.example" in error.detail


def test_oversized_with_content_length(http_server: LocalServer) -> None:
    did = http_server.did()
    http_server.routes[WELL_KNOWN] = Route(body=b" " * 2048)
    options = DidWebOptions(allow_http_loopback=True, max_response_bytes=1024)
    error = _resolve_error(did, options)
    assert error.code == "notFound"
    assert "1024 bytes" in error.detail


def test_oversized_while_streaming(http_server: LocalServer) -> None:
    did = http_server.did()
    body = json.dumps({"id": did, "padding": "x" * 300_000}).encode()
    http_server.routes[WELL_KNOWN] = Route(body=body, send_content_length=False)
    error = _resolve_error(did, LOOPBACK_HTTP)
    assert error.code == "notFound"
    assert "larger than the limit" in error.detail


def test_slow_server_times_out(http_server: LocalServer) -> None:
    did = http_server.did()
    http_server.routes[WELL_KNOWN] = Route(body=b"{}", slow=True)
    options = DidWebOptions(allow_http_loopback=True, timeout=0.2)
    error = _resolve_error(did, options)
    assert error.code == "notFound"
    assert "timed out" in error.detail


@pytest.mark.parametrize(
    "route",
    [
        Route(body=b"<html>not a DID document</html>", content_type="text/html"),
        Route(body=b"{}", content_type=None),
        Route(body=b"{not json", content_type="application/did+json"),
        Route(body=b"\xff\xfe", content_type="application/json"),
        Route(body=b'{"id": NaN}', content_type="application/json"),
        Route(body=b"[" * 5000 + b"]" * 5000, content_type="application/json"),
    ],
)
def test_non_json_rejected(http_server: LocalServer, route: Route) -> None:
    http_server.routes[WELL_KNOWN] = route
    error = _resolve_error(http_server.did(), LOOPBACK_HTTP)
    # Deeply nested JSON parses when another library has raised the
    # recursion limit, and is then rejected as not being a DID document.
    assert error.code in ("representationNotSupported", "invalidDidDocument")


def test_not_found(http_server: LocalServer) -> None:
    error = _resolve_error(http_server.did(), LOOPBACK_HTTP)
    assert error.code == "notFound"
    assert "HTTP 404" in error.detail


def test_document_not_an_object(http_server: LocalServer) -> None:
    http_server.routes[WELL_KNOWN] = Route(body=b'["did:web:x"]')
    error = _resolve_error(http_server.did(), LOOPBACK_HTTP)
    assert error.code == "invalidDidDocument"


def test_malformed_document_rejected(http_server: LocalServer) -> None:
    did = http_server.did()
    document = {"id": did, "verificationMethod": [{"id": f"{did}#k"}]}
    http_server.routes[WELL_KNOWN] = Route(body=json.dumps(document).encode())
    error = _resolve_error(did, LOOPBACK_HTTP)
    assert error.code == "invalidDidDocument"


def test_same_origin_redirect_followed(http_server: LocalServer) -> None:
    did = http_server.did()
    document = _serve_document(http_server, did, "/current.json")
    http_server.routes[WELL_KNOWN] = Route(
        status=302, content_type=None, headers={"Location": "/current.json"}
    )
    assert resolve_did_web(did, options=LOOPBACK_HTTP) == document
    assert http_server.requests == [WELL_KNOWN, "/current.json"]


@pytest.mark.parametrize(
    "location",
    [
        "https://issuer.example/.well-known/did.json",
        "http://127.0.0.1:{port}/other.json",
        "https://localhost:{port}/other.json",
        "//issuer.example/did.json",
    ],
)
def test_cross_origin_redirect_rejected(
    http_server: LocalServer, location: str
) -> None:
    did = http_server.did()
    _serve_document(http_server, did, "/other.json")
    http_server.routes[WELL_KNOWN] = Route(
        status=301,
        content_type=None,
        headers={"Location": location.format(port=http_server.port)},
    )
    error = _resolve_error(did, LOOPBACK_HTTP)
    assert error.code == "notFound"
    assert "another origin" in error.detail
    assert http_server.requests == [WELL_KNOWN]


def test_redirect_loop_stops(http_server: LocalServer) -> None:
    http_server.routes[WELL_KNOWN] = Route(
        status=302, content_type=None, headers={"Location": WELL_KNOWN}
    )
    error = _resolve_error(http_server.did(), LOOPBACK_HTTP)
    assert error.code == "notFound"
    assert "redirects" in error.detail
    assert len(http_server.requests) == LOOPBACK_HTTP.max_redirects + 1


def test_caller_transport_used() -> None:
    did = "did:web:issuer.example"
    document = _document(did)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=document)

    options = DidWebOptions(transport=httpx.MockTransport(handler))
    assert resolve_did_web(did, options=options) == document
    assert seen == ["https://issuer.example/.well-known/did.json"]


def test_options_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="timeout"):
        DidWebOptions(timeout=0)
    with pytest.raises(ValueError, match="max_response_bytes"):
        DidWebOptions(max_response_bytes=0)
    with pytest.raises(ValueError, match="not both"):
        DidWebOptions(
            client=httpx.Client(),
            transport=httpx.MockTransport(lambda _: httpx.Response(204)),
        )


def test_https_with_trusted_test_ca(https_server: LocalServer) -> None:
    did = https_server.did("staff", "jordan")
    document = _serve_document(https_server, did, "/staff/jordan/did.json")
    context = ssl.create_default_context(cadata=https_server.ca_pem.decode())
    with httpx.Client(verify=context) as client:
        options = DidWebOptions(client=client, timeout=2.0)
        assert resolve_did_web(did, options=options) == document
    assert https_server.requests == ["/staff/jordan/did.json"]


def test_https_untrusted_certificate_rejected(https_server: LocalServer) -> None:
    did = https_server.did()
    _serve_document(https_server, did)
    error = _resolve_error(did, DidWebOptions(timeout=2.0))
    assert error.code == "notFound"
    assert "certificate" in error.detail.lower()
    assert https_server.requests == []
