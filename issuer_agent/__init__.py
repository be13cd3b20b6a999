"""The issuer agent: a workforce program's service for issuing micro-credentials.

A thin FastAPI service around the vcwork library: catalog, participants,
evidence records that issue Open Badges 3.0 credentials, revocation with an
audit log, OpenID4VCI pre-authorized issuance, the VC-API issue and status
endpoints, and the issuer's did:web document. Create it with
:func:`issuer_agent.app.create_app`; run it with ``vcwork issuer serve``.
"""

from __future__ import annotations

from .settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> object:
    # FastAPI is imported only when the app is built, not for the CLI's help.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
