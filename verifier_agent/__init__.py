"""The employer's verifier agent: VC API verify endpoints, OpenID4VP requests,
share links, plain-language result pages and a verification log."""

from .app import create_app
from .settings import Settings, TrustedIssuer, load_trust_list

__all__ = ["Settings", "TrustedIssuer", "create_app", "load_trust_list"]
