"""Errors of the wallet service, each with the HTTP status it maps to."""

from __future__ import annotations

from vcwork.errors import VcworkError

__all__ = [
    "ExchangeError",
    "NotFoundError",
    "ShareGoneError",
    "UpstreamError",
    "WalletError",
    "WalletExistsError",
    "WalletLockedError",
    "WalletMissingError",
    "WrongPassphraseError",
]

_TYPE_BASE = "https://vcwork.dev/problems/wallet#"


class WalletError(VcworkError):
    """Base of the wallet's own errors; ``status`` is the HTTP status of the response."""

    code = "WALLET_ERROR"
    title = "Wallet request failed"
    status = 400

    @property
    def problem_type(self) -> str:
        return _TYPE_BASE + self.code


class WrongPassphraseError(WalletError):
    code = "WRONG_PASSPHRASE"
    title = "Wrong passphrase"
    status = 401


class WalletLockedError(WalletError):
    code = "WALLET_LOCKED"
    title = "Wallet locked"
    status = 401


class WalletMissingError(WalletError):
    code = "WALLET_NOT_SET_UP"
    title = "No wallet here yet"
    status = 409


class WalletExistsError(WalletError):
    code = "WALLET_EXISTS"
    title = "A wallet already exists"
    status = 409


class NotFoundError(WalletError):
    code = "NOT_FOUND"
    title = "Not found"
    status = 404


class ExchangeError(WalletError):
    """An offer, a request, or what an issuer or verifier sent cannot be used."""

    code = "EXCHANGE_ERROR"
    title = "Credential exchange failed"
    status = 400


class UpstreamError(ExchangeError):
    """An issuer or verifier could not be reached or returned an HTTP error status."""

    code = "UPSTREAM_ERROR"
    title = "Issuer or verifier unavailable"
    status = 502


class ShareGoneError(WalletError):
    """The share link was withdrawn by the holder or has expired."""

    code = "SHARE_GONE"
    title = "Share link no longer available"
    status = 410
