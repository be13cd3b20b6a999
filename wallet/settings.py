"""Settings of the wallet service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_PORT", "Settings"]

DEFAULT_PORT = 8300


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where the wallet keeps its data and how it is reached.

    ``public_base_url`` is the origin that share links and the public
    portfolio are built on; set it when the wallet sits behind a proxy.
    ``verifier_url`` is the verifier page that a share QR code opens, such
    as the vcwork verifier's ``https://verifier.example/share``: the wallet
    appends ``u=<share link>`` to it.
    ``allow_http_loopback`` lets the wallet use plain http with issuers,
    verifiers, status lists and did:web hosts on loopback, for development
    and tests. Otherwise only https is used.
    ``kdf_log2_n`` is the scrypt cost (log2 of N) for new wallets and backups.
    """

    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_base_url: str | None = None
    verifier_url: str | None = None
    allow_http_loopback: bool = False
    kdf_log2_n: int = 17
    session_minutes: int = 30
    share_days: int = 30
    max_body_bytes: int = 1024 * 1024
    max_backup_bytes: int = 16 * 1024 * 1024
    http_timeout_seconds: float = 10.0
    profile_link_template: str = (
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME"
        "&name={name}&organizationName={issuer}&certUrl={url}"
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL: the setting, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir) / 'wallet.sqlite3'}"

    @property
    def base_url(self) -> str:
        """The public origin without a trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")
