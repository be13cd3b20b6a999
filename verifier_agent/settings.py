"""Settings of the verifier agent, read once at start-up."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "Settings",
    "TrustedIssuer",
    "load_trust_list",
    "parse_evm_account",
    "parse_evm_node",
]


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer the employer recognizes: its DID (or profile URL) and a display name."""

    id: str
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Settings:
    """Configuration of one verifier agent process.

    ``public_base_url`` is the address wallets and browsers reach the service
    at; it becomes the OpenID4VP ``response_uri`` and so part of the
    ``client_id``. ``allow_http_loopback`` lets DIDs (did:web on
    ``localhost``), status lists and share links on loopback hosts be fetched
    over plain http, for local runs and tests only. ``database_url``
    defaults to a SQLite file in ``data_dir``.

    ``evm_nodes`` pairs a chain id with the JSON-RPC URL of a node the
    verifier trusts for that chain (https, or http on loopback with
    ``allow_http_loopback``); EVM anchors on other chains read as not
    checked. ``evm_accounts`` pairs an issuer DID with a CAIP-10 account
    (``eip155:<chain id>:<address>``) allowed to send its anchors. An issuer
    with no entry there is looked up in its DID document instead.
    """

    data_dir: Path
    public_base_url: str = "http://127.0.0.1:8030"
    host: str = "127.0.0.1"
    port: int = 8030
    database_url: str | None = None
    verifier_name: str = "Employer verifier"
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    allow_http_loopback: bool = False
    # Largest request body accepted, in bytes. A presentation of a dozen
    # badges with proofs is well under 200 KiB.
    max_body_bytes: int = 1024 * 1024
    # Largest share document fetched from a wallet, in bytes.
    max_share_bytes: int = 1024 * 1024
    fetch_timeout_seconds: float = 5.0
    # Requests per client (IP address) per window, counted in the database.
    rate_limit_requests: int = 120
    rate_limit_window_seconds: int = 60
    request_lifetime_seconds: int = 600
    # How long the verification log keeps a record, in days; the disclosed
    # details shown on a result page are deleted with it.
    log_retention_days: int = 30
    # Check credentialStatus against the issuer's status list.
    check_status: bool = True
    evm_nodes: tuple[tuple[int, str], ...] = ()
    evm_accounts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for chain_id, url in self.evm_nodes:
            _check_node_url(chain_id, url, self.allow_http_loopback)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'verifier.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")

    @property
    def response_uri(self) -> str:
        """The OpenID4VP ``response_uri`` that wallets POST their answers to."""
        return f"{self.base_url}/oid4vp/response"

    def trusted_issuer(self, issuer_id: str | None) -> TrustedIssuer | None:
        for issuer in self.trusted_issuers:
            if issuer.id == issuer_id:
                return issuer
        return None


def load_trust_list(path: Path) -> tuple[TrustedIssuer, ...]:
    """Read a trust list file: ``{"issuers": [{"id": DID, "name": ..., "url": ...}]}``.

    Raises ``ValueError`` naming the file and entry when it is malformed.
    """
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the trust list {path}: {e}") from e
    entries = data.get("issuers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected an object with an 'issuers' array")
    issuers = []
    for index, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and isinstance(entry.get("name"), str)
        ):
            raise ValueError(
                f"{path}: issuers[{index}] needs string 'id' (the issuer's DID) "
                "and 'name'"
            )
        url = entry.get("url")
        issuers.append(
            TrustedIssuer(
                id=entry["id"],
                name=entry["name"],
                url=url if isinstance(url, str) else None,
            )
        )
    return tuple(issuers)


def parse_evm_node(value: str) -> tuple[int, str]:
    """Parse ``CHAIN_ID=URL`` (``--evm-node``); raise ``ValueError`` naming the problem."""
    chain, separator, url = value.partition("=")
    if not separator or not chain.strip().isdigit() or not url.strip():
        raise ValueError(
            f"invalid EVM node {value!r}; expected CHAIN_ID=URL, for example "
            "31337=http://127.0.0.1:8545"
        )
    return int(chain), url.strip()


def parse_evm_account(value: str) -> tuple[str, str]:
    """Parse ``DID=eip155:CHAIN_ID:ADDRESS`` (``--evm-account``).

    Raises ``ValueError`` naming the problem.
    """
    did, separator, account = value.partition("=")
    parts = account.split(":")
    valid = (
        separator
        and did.startswith("did:")
        and len(parts) == 3
        and parts[0] == "eip155"
        and parts[1].isdigit()
        and len(parts[2]) == 42
        and parts[2].startswith("0x")
    )
    if not valid:
        raise ValueError(
            f"invalid EVM account {value!r}; expected "
            "ISSUER_DID=eip155:CHAIN_ID:0xADDRESS (a 40-hex-digit address)"
        )
    return did, account


def _check_node_url(chain_id: int, url: str, allow_http_loopback: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if (
        parts.scheme == "http"
        and parts.hostname
        and allow_http_loopback
        and _is_loopback_host(parts.hostname)
    ):
        return
    raise ValueError(
        f"the EVM node URL {url!r} for chain {chain_id} must be https"
        + (
            " or http on a loopback host"
            if allow_http_loopback
            else " (http on a loopback host needs --allow-http-loopback)"
        )
    )


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
