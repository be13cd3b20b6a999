"""Settings of the issuer agent, read once at start-up."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

__all__ = ["ENV_PREFIX", "Settings", "check_evm_rpc_url"]

ENV_PREFIX = "VCWORK_ISSUER_"
DEFAULT_PORT = 8001

N = TypeVar("N", int, float)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where the agent keeps its data and how it is reached.

    ``database_url`` defaults to the SQLite file ``issuer.db`` in
    ``data_dir``; a ``postgresql+psycopg://`` URL runs the same code on
    PostgreSQL. ``public_base_url`` is the URL wallets and verifiers use. It
    fixes the did:web DID and every published URL, so keep it unchanged
    after credentials are issued. Without it the agent uses
    ``http://localhost:{port}``. ``passphrase_env`` names the environment
    variable whose value encrypts the signing keys; when it is unset the key
    file ``issuer-kek.bin`` in ``data_dir`` is used. ``max_body_bytes`` limits
    every request body. The ``*_ttl`` values are in seconds.

    Anchoring: a batch closes when ``anchor_batch_size`` delivered
    credentials wait or the oldest has waited ``anchor_batch_age`` seconds.
    A background task checks every ``anchor_close_interval`` seconds (0
    turns it off; then close with the staff route or the CLI).
    ``anchor_max_age`` is the ``Cache-Control`` max-age in seconds of the
    log's latest tree head and of other responses that change when a batch
    closes.

    EVM anchoring: with ``evm_rpc_url`` set (an https JSON-RPC URL, or http
    to a loopback host when ``evm_allow_http_loopback`` is true), batches
    are anchored in transactions on that chain instead of the embedded log.
    The issuer's account key is read from ``evm_account_key_file`` or else
    from the environment variable named by ``evm_account_key_env``. Neither
    the key nor its file contents are kept in these settings.
    """

    data_dir: Path
    database_url: str | None = None
    public_base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    program_name: str = "Construction Pre-Apprenticeship Program"
    passphrase_env: str = "VCWORK_ISSUER_PASSPHRASE"
    max_body_bytes: int = 1024 * 1024
    offer_ttl: int = 7 * 24 * 3600
    access_token_ttl: int = 300
    nonce_ttl: int = 300
    max_tx_code_attempts: int = 5
    status_list_max_age: int = 300
    seed_catalog: bool = True
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    anchor_batch_size: int = 10_000
    anchor_batch_age: float = 600.0
    anchor_close_interval: float = 30.0
    # Smallest group an outcomes report publishes; None reads
    # VCWORK_ISSUER_MIN_CELL_SIZE (default 10).
    outcomes_minimum_cell_size: int | None = None
    anchor_max_age: int = 60
    evm_rpc_url: str | None = None
    evm_allow_http_loopback: bool = False
    evm_account_key_file: Path | None = None
    evm_account_key_env: str = "VCWORK_ISSUER_EVM_ACCOUNT_KEY"

    def __post_init__(self) -> None:
        if self.anchor_batch_size < 1:
            raise ValueError(
                f"anchor_batch_size must be at least 1, got {self.anchor_batch_size}"
            )
        for name in ("anchor_batch_age", "anchor_close_interval", "anchor_max_age"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be 0 or more seconds, got {value}")
        if self.evm_rpc_url is not None:
            check_evm_rpc_url(
                self.evm_rpc_url, allow_http_loopback=self.evm_allow_http_loopback
            )

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        scheme = "https" if self.tls_certfile else "http"
        return f"{scheme}://localhost:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'issuer.db'}"

    def to_env(self) -> dict[str, str]:
        """Return environment variables that :meth:`from_env` reads back (for workers)."""
        env = {
            ENV_PREFIX + "DATA_DIR": str(self.data_dir),
            ENV_PREFIX + "DATABASE_URL": self.resolved_database_url,
            ENV_PREFIX + "PUBLIC_BASE_URL": self.base_url,
            ENV_PREFIX + "HOST": self.host,
            ENV_PREFIX + "PORT": str(self.port),
            ENV_PREFIX + "ANCHOR_BATCH_SIZE": str(self.anchor_batch_size),
            ENV_PREFIX + "ANCHOR_BATCH_AGE": str(self.anchor_batch_age),
            ENV_PREFIX + "ANCHOR_CLOSE_INTERVAL": str(self.anchor_close_interval),
            ENV_PREFIX + "ANCHOR_MAX_AGE": str(self.anchor_max_age),
            ENV_PREFIX + "STATUS_LIST_MAX_AGE": str(self.status_list_max_age),
        }
        if self.tls_certfile is not None and self.tls_keyfile is not None:
            env[ENV_PREFIX + "TLS_CERTFILE"] = str(self.tls_certfile)
            env[ENV_PREFIX + "TLS_KEYFILE"] = str(self.tls_keyfile)
        if self.evm_rpc_url is not None:
            # The key itself is never written here: workers read the same
            # key file, or inherit the key's environment variable.
            env[ENV_PREFIX + "EVM_RPC_URL"] = self.evm_rpc_url
            env[ENV_PREFIX + "EVM_ALLOW_HTTP_LOOPBACK"] = (
                "1" if self.evm_allow_http_loopback else "0"
            )
            if self.evm_account_key_file is not None:
                env[ENV_PREFIX + "EVM_ACCOUNT_KEY_FILE"] = str(
                    self.evm_account_key_file
                )
        return env

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``VCWORK_ISSUER_*`` variables (``DATA_DIR`` is required)."""
        data_dir = os.environ.get(ENV_PREFIX + "DATA_DIR")
        if not data_dir:
            raise ValueError(
                f"{ENV_PREFIX}DATA_DIR is not set; set it to the agent's data directory"
            )
        certfile = os.environ.get(ENV_PREFIX + "TLS_CERTFILE")
        keyfile = os.environ.get(ENV_PREFIX + "TLS_KEYFILE")
        evm_key_file = os.environ.get(ENV_PREFIX + "EVM_ACCOUNT_KEY_FILE")
        return cls(
            data_dir=Path(data_dir),
            database_url=os.environ.get(ENV_PREFIX + "DATABASE_URL") or None,
            public_base_url=os.environ.get(ENV_PREFIX + "PUBLIC_BASE_URL") or None,
            host=os.environ.get(ENV_PREFIX + "HOST", "127.0.0.1"),
            port=int(os.environ.get(ENV_PREFIX + "PORT", str(DEFAULT_PORT))),
            tls_certfile=Path(certfile) if certfile else None,
            tls_keyfile=Path(keyfile) if keyfile else None,
            anchor_batch_size=_env_number(int, "ANCHOR_BATCH_SIZE", 10_000),
            anchor_batch_age=_env_number(float, "ANCHOR_BATCH_AGE", 600.0),
            anchor_close_interval=_env_number(float, "ANCHOR_CLOSE_INTERVAL", 30.0),
            anchor_max_age=_env_number(int, "ANCHOR_MAX_AGE", 60),
            status_list_max_age=_env_number(int, "STATUS_LIST_MAX_AGE", 300),
            evm_rpc_url=os.environ.get(ENV_PREFIX + "EVM_RPC_URL") or None,
            evm_allow_http_loopback=os.environ.get(
                ENV_PREFIX + "EVM_ALLOW_HTTP_LOOPBACK"
            )
            == "1",
            evm_account_key_file=Path(evm_key_file) if evm_key_file else None,
        )


def check_evm_rpc_url(url: str, *, allow_http_loopback: bool) -> str:
    """Return ``url`` if it is an https URL, or http to a loopback host when allowed.

    Raises ``ValueError`` naming the URL and the rule it breaks.
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        if allow_http_loopback and _is_loopback_host(parts.hostname):
            return url
        allowed = (
            "http is allowed only for localhost or a loopback address"
            if allow_http_loopback
            else "plain http needs --evm-allow-http-loopback and a loopback host"
        )
        raise ValueError(f"the EVM node URL {url!r} is not https; {allowed}")
    raise ValueError(
        f"the EVM node URL {url!r} is invalid; expected https://HOST[:PORT][/PATH]"
    )


def _is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env_number(kind: type[N], name: str, default: N) -> N:
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from None
