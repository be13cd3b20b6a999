"""The HTTP log client and receipt look-up against a loopback server.

The server maps the URL layout of the issuer agent's anchor routes onto an
:class:`AnchorLog` and a batcher, and can misbehave on request (slow, large,
redirecting, failing) so each limit is exercised.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from vcwork.anchoring import (
    AnchorBatcher,
    AnchorChecker,
    AnchorLog,
    AnchorNotFoundError,
    LedgerRetrievalError,
)
from vcwork.anchoring.http_client import (
    HttpLogClients,
    HttpReceiptLookup,
    HttpTransparencyLogClient,
    issuer_base_url,
    receipt_url,
)
from vcwork.credentials import verify_credential
from vcwork.keys import Ed25519KeyPair

from .conftest import FakeClock


class LogServer:
    """Serves a log and its receipts on 127.0.0.1; ``mode`` switches misbehaviour."""

    def __init__(self, log: AnchorLog, batcher: AnchorBatcher) -> None:
        self.log = log
        self.batcher = batcher
        self.mode = "normal"
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                status, body, headers = server.respond(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "slow":
                    time.sleep(1.0)
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, raw_path: str) -> tuple[int, bytes, dict[str, str]]:
        if self.mode == "error":
            return 500, b"internal error", {}
        if self.mode == "redirect":
            return 302, b"", {"Location": "http://127.0.0.1:1/elsewhere"}
        if self.mode == "large":
            return 200, b'{"x": "' + b"a" * 4096 + b'"}', {}
        if self.mode == "not-json":
            return 200, b"<html>gateway</html>", {}
        if self.mode == "array":
            return 200, b"[]", {}
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            body = self.route(unquote(parts.path), query)
        except AnchorNotFoundError as e:
            return 404, json.dumps({"detail": e.detail}).encode(), {}
        if body is None:
            return 404, b'{"detail": "not found"}', {}
        return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}

    def route(self, path: str, query: dict[str, str]) -> dict[str, Any] | None:
        if path == "/anchor/log/tree-head":
            return self.log.get_tree_head()
        if path.startswith("/anchor/log/tree-head/"):
            return self.log.get_tree_head(int(path.rsplit("/", 1)[1]))
        if path == "/anchor/log/consistency-proof":
            return self.log.get_consistency_proof(
                int(query["first"]), int(query["second"])
            )
        if path.startswith("/anchor/log/entries/") and path.endswith(
            "/inclusion-proof"
        ):
            index = int(path.split("/")[4])
            size = int(query["tree_size"]) if "tree_size" in query else None
            return self.log.get_inclusion_proof(index, size)
        if path.startswith("/anchor/log/entries/"):
            return self.log.get_entry(int(path.rsplit("/", 1)[1]))
        if path.startswith("/anchor/receipts/"):
            return self.batcher.receipt(path[len("/anchor/receipts/") :])
        return None

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def server(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> Iterator[LogServer]:
    batcher = AnchorBatcher(database_url, anchor_log, max_batch_size=100, clock=clock)
    for credential in credentials[:4]:
        batcher.add(credential)
    batcher.close_batch()
    for credential in credentials[4:6]:
        batcher.add(credential)
    batcher.close_batch()
    # credentials[6] waits for a batch that is not closed.
    batcher.add(credentials[6])
    running = LogServer(anchor_log, batcher)
    try:
        yield running
    finally:
        running.stop()


def _log_client(server: LogServer, **options: Any) -> HttpTransparencyLogClient:
    return HttpTransparencyLogClient(
        server.base_url, allow_http_loopback=True, **options
    )


def test_log_client_reads_log_api(server: LogServer) -> None:
    with _log_client(server) as client:
        latest = client.get_tree_head()
        first = client.get_tree_head(1)
        proof = client.get_consistency_proof(1, 2)
        inclusion = client.get_inclusion_proof(0, 2)
        entry = client.get_entry(1)
    assert latest == server.log.get_tree_head()
    assert latest["treeSize"] == 2
    assert first["treeSize"] == 1
    assert proof == server.log.get_consistency_proof(1, 2)
    assert inclusion == server.log.get_inclusion_proof(0, 2)
    assert entry["batchSize"] == 2
    assert "/anchor/log/consistency-proof?first=1&second=2" in server.requests


def test_checker_passes_over_http(
    server: LogServer,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    checker = AnchorChecker(
        receipts=HttpReceiptLookup(server.base_url, allow_http_loopback=True),
        logs={issuer_key.controller: _log_client(server)},
    )
    for credential in credentials[:6]:
        result = verify_credential(credential, anchor_checker=checker)
        anchor = result.check("anchor")
        assert anchor is not None
        assert anchor.outcome == "passed", anchor.detail
        assert result.verified


def test_checker_fails_tampered_credential_over_http(
    server: LogServer,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    tampered = copy.deepcopy(credentials[0])
    tampered["credentialSubject"]["name"] = "Someone Else"
    checker = AnchorChecker(
        receipts=HttpReceiptLookup(server.base_url, allow_http_loopback=True),
        logs={issuer_key.controller: _log_client(server)},
    )
    check = checker(tampered)
    assert check.outcome == "failed"
    assert check.problems[0].property == "credentialDigest"


def test_receipt_lookup_returns_none_for_pending_and_unknown(
    server: LogServer, credentials: list[dict[str, Any]]
) -> None:
    lookup = HttpReceiptLookup(server.base_url, allow_http_loopback=True)
    unknown = {**credentials[0], "id": "urn:uuid:11111111-2222-4333-8444-555555555555"}
    assert lookup(credentials[6]) is None
    assert lookup(unknown) is None
    receipt = lookup(credentials[1])
    assert receipt is not None
    assert receipt["credentialId"] == credentials[1]["id"]


def test_receipt_url_encodes_credential_id() -> None:
    url = receipt_url("https://issuer.example/", "https://issuer.example/c/1?x=y")
    assert url == (
        "https://issuer.example/anchor/receipts/"
        "https%3A%2F%2Fissuer.example%2Fc%2F1%3Fx%3Dy"
    )


@pytest.mark.parametrize(
    ("issuer", "loopback", "expected"),
    [
        ("did:web:issuer.example", False, "https://issuer.example"),
        ("did:web:issuer.example%3A8443", False, "https://issuer.example:8443"),
        (
            "did:web:issuer.example:programs:a",
            False,
            "https://issuer.example/programs/a",
        ),
        ("did:web:localhost%3A8001", True, "http://localhost:8001"),
        ("did:web:localhost%3A8001", False, "https://localhost:8001"),
        ("did:web:issuer.example", True, "https://issuer.example"),
    ],
)
def test_issuer_base_url_from_did_web(
    issuer: str, loopback: bool, expected: str
) -> None:
    assert issuer_base_url(issuer, allow_http_loopback=loopback) == expected


@pytest.mark.parametrize("issuer", ["did:key:z6MkabcDEF", "did:web:", None, "x"])
def test_issuer_base_url_rejects_other_issuers(issuer: Any) -> None:
    with pytest.raises(LedgerRetrievalError):
        issuer_base_url(issuer)


def test_receipt_lookup_derives_url_from_did_web_issuer(
    credentials: list[dict[str, Any]],
) -> None:
    lookup = HttpReceiptLookup(allow_http_loopback=True)
    credential = {**credentials[0], "issuer": "did:web:localhost%3A9"}
    assert lookup.receipt_url(credential) == (
        "http://localhost:9/anchor/receipts/urn%3Auuid%3A00000000-0000-4000-8000-000000000001"
    )


def test_receipt_lookup_without_id_raises(credentials: list[dict[str, Any]]) -> None:
    lookup = HttpReceiptLookup("https://issuer.example")
    credential = {k: v for k, v in credentials[0].items() if k != "id"}
    with pytest.raises(LedgerRetrievalError, match="has no id"):
        lookup(credential)


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example",
        "http://10.0.0.1:8001",
        "ftp://127.0.0.1",
        "https://",
        "file:///etc/passwd",
    ],
)
def test_log_client_rejects_urls_outside_policy(url: str) -> None:
    with pytest.raises(LedgerRetrievalError, match="only https"):
        HttpTransparencyLogClient(url, allow_http_loopback=True)


def test_http_loopback_needs_opt_in() -> None:
    with pytest.raises(LedgerRetrievalError, match="only https URLs"):
        HttpTransparencyLogClient("http://127.0.0.1:8001")
    with pytest.raises(LedgerRetrievalError, match="only https URLs"):
        HttpReceiptLookup("http://localhost:8001")


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("error", "returned HTTP 500"),
        ("redirect", "returned HTTP 302"),
        ("large", "the limit is 1024 bytes"),
        ("not-json", "is not valid JSON"),
        ("array", "expected an object"),
    ],
)
def test_log_client_raises_retrieval_error(
    server: LogServer, mode: str, message: str
) -> None:
    server.mode = mode
    with _log_client(server, max_bytes=1024) as client:
        with pytest.raises(LedgerRetrievalError, match=message):
            client.get_tree_head()


def test_log_client_times_out(server: LogServer) -> None:
    server.mode = "slow"
    with _log_client(server, timeout=0.2) as client:
        with pytest.raises(LedgerRetrievalError, match="timed out"):
            client.get_tree_head()


def test_log_client_raises_on_404(server: LogServer) -> None:
    with _log_client(server) as client:
        with pytest.raises(LedgerRetrievalError, match="HTTP 404"):
            client.get_tree_head(99)


def test_unreachable_server_gives_not_checked(
    server: LogServer,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    lookup = HttpReceiptLookup(server.base_url, allow_http_loopback=True)
    receipt = lookup(credentials[0])
    client = _log_client(server)
    server.stop()
    checker = AnchorChecker(receipts=lookup, logs={issuer_key.controller: client})
    by_lookup = checker(credentials[0])
    with_receipt = checker.check(credentials[0], receipt)
    assert by_lookup.outcome == "not_checked"
    assert "receipt look-up failed" in by_lookup.detail
    assert with_receipt.outcome == "not_checked"
    assert "could not be reached" in with_receipt.detail


def test_log_clients_map_did_web_log_ids() -> None:
    clients = HttpLogClients(allow_http_loopback=True)
    client = clients("did:web:localhost%3A8001")
    assert client is not None
    assert client.base_url == "http://localhost:8001"
    assert clients("did:web:localhost%3A8001") is client
    assert clients("did:key:z6MkabcDEF") is None
    clients.close()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="timeout"):
        HttpTransparencyLogClient("https://issuer.example", timeout=0)
    with pytest.raises(ValueError, match="max_bytes"):
        HttpReceiptLookup("https://issuer.example", max_bytes=0)
