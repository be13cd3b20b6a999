"""Protocol messages shared by the agents and the wallet (OpenID4VCI, OpenID4VP).

Import the protocol modules directly, for example
``from vcwork.exchange.oid4vci import CredentialOffer``.
"""

from __future__ import annotations

__all__: list[str] = []
