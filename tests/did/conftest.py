"""Local HTTP and HTTPS servers for the did:web tests, bound to 127.0.0.1 only.

Each server serves the routes a test sets in ``server.routes`` and records the
request paths it receives in ``server.requests``. The HTTPS server presents a
certificate for ``localhost`` issued by a test CA generated with
``cryptography``; ``https_server.ca_pem`` is that CA for the client to trust.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Upper bound on how long a "slow" route holds its response; the test's client
# timeout is far shorter, and teardown releases the handler at once.
SLOW_ROUTE_HOLD_SECONDS = 10.0


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/did+json"
    headers: dict[str, str] = field(default_factory=dict)
    send_content_length: bool = True
    slow: bool = False


@dataclass
class LocalServer:
    port: int
    routes: dict[str, Route]
    requests: list[str]
    release: threading.Event
    ca_pem: bytes = b""

    def did(self, *path: str) -> str:
        """Return the did:web DID of a document on this server."""
        return ":".join([f"did:web:localhost%3A{self.port}", *path])


def _handler(server_state: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.requests.append(self.path)
            route = server_state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.slow:
                server_state.release.wait(SLOW_ROUTE_HOLD_SECONDS)
            self.send_response(route.status)
            if route.content_type is not None:
                self.send_header("Content-Type", route.content_type)
            if route.send_content_length:
                self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading, as a size limit should

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _serve(
    ssl_context: ssl.SSLContext | None = None, ca_pem: bytes = b""
) -> Iterator[LocalServer]:
    state = LocalServer(
        port=0, routes={}, requests=[], release=threading.Event(), ca_pem=ca_pem
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    if ssl_context is not None:
        httpd.socket = ssl_context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    yield from _serve()


def _test_certificates(directory: Path) -> tuple[bytes, Path, Path]:
    """Create a CA and a server certificate for localhost; return the CA PEM."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=1))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vcwork test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    cert_path = directory / "server.pem"
    key_path = directory / "server.key"
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_cert.public_bytes(serialization.Encoding.PEM), cert_path, key_path


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[LocalServer]:
    ca_pem, cert_path, key_path = _test_certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    yield from _serve(context, ca_pem)
