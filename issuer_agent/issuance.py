"""The OpenID4VCI 1.0 pre-authorized code flow on the agent's database.

Offers, access tokens and c_nonces live in the database, so any replica can
serve any step. Each pre-authorized code is single use, and each c_nonce is
consumed by the credential request that carries it.
"""

from __future__ import annotations

import io
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from vcwork.exchange.oid4vci import (
    LDP_VC_FORMAT,
    PRE_AUTHORIZED_CODE_GRANT,
    CredentialOffer,
    CredentialRequest,
    Oid4vciError,
    TxCode,
    credential_offer_link,
    verify_proof_jwt,
)

from .db import access_token_table, nonce_table, offer_table, sha256_hex
from .errors import ConflictError, NotFoundError
from .service import IssuerService

__all__ = ["Issuance", "OfferCreated"]

logger = logging.getLogger(__name__)

TX_CODE_LENGTH = 6
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass(frozen=True, kw_only=True)
class OfferCreated:
    """A new offer; ``tx_code`` is shown to staff once, to pass on another channel."""

    offer_id: str
    credential_offer_uri: str
    link: str
    tx_code: str | None
    expires: int


class Issuance:
    """Issuer metadata and the offer, token, nonce and credential endpoints' logic."""

    def __init__(self, service: IssuerService) -> None:
        self.service = service
        self.settings = service.settings
        self.issuer = service.base_url

    # -- metadata ----------------------------------------------------------------

    def issuer_metadata(self) -> dict[str, Any]:
        configurations = {}
        for entry in self.service.list_achievements():
            achievement = entry["achievement"]
            configurations[entry["slug"]] = {
                "format": LDP_VC_FORMAT,
                "scope": entry["slug"],
                "cryptographic_binding_methods_supported": ["did:key"],
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}
                },
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT, OB_CONTEXT],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "credential_metadata": {
                    "display": [
                        {
                            "name": achievement["name"],
                            "locale": "en-US",
                            "description": achievement["description"],
                        }
                    ]
                },
            }
        return {
            "credential_issuer": self.issuer,
            "credential_endpoint": f"{self.issuer}/credential",
            "nonce_endpoint": f"{self.issuer}/nonce",
            "display": [{"name": self.settings.program_name, "locale": "en-US"}],
            "credential_configurations_supported": configurations,
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata: this issuer is its own authorization server."""
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{self.issuer}/token",
            "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True,
            "response_types_supported": [],
        }

    # -- offers ------------------------------------------------------------------

    def create_offer(
        self, credential_id: str, *, with_tx_code: bool, actor: str
    ) -> OfferCreated:
        _, participant_id, slug = self.service.get_credential_row(credential_id)
        if slug is None or participant_id is None:
            raise ConflictError(
                f"credential {credential_id} was not issued from the catalog to a "
                "participant, so it cannot be offered over OpenID4VCI"
            )
        if self.service.credential_status(credential_id) == "revoked":
            raise ConflictError(
                f"credential {credential_id} is revoked; it cannot be offered"
            )
        offer_id = secrets.token_urlsafe(24)
        code = secrets.token_urlsafe(32)
        tx_code = (
            "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))
            if with_tx_code
            else None
        )
        expires = int(time.time()) + self.settings.offer_ttl

        def work(connection: Connection) -> None:
            connection.execute(
                insert(offer_table).values(
                    id=offer_id,
                    credential_id=credential_id,
                    configuration_id=slug,
                    pre_authorized_code=code,
                    tx_code_sha256=sha256_hex(tx_code) if tx_code else None,
                    tx_code_length=TX_CODE_LENGTH if tx_code else None,
                    failed_attempts=0,
                    expires=expires,
                )
            )

        self.service.database.transaction(work)
        uri = f"{self.issuer}/offers/{offer_id}"
        logger.info(
            "offer %s created for credential %s by %s", offer_id, credential_id, actor
        )
        return OfferCreated(
            offer_id=offer_id,
            credential_offer_uri=uri,
            link=credential_offer_link(credential_offer_uri=uri),
            tx_code=tx_code,
            expires=expires,
        )

    def _offer_row(self, offer_id: str) -> Any:
        with self.service.database.engine.connect() as connection:
            row = connection.execute(
                select(offer_table).where(offer_table.c.id == offer_id)
            ).first()
        if row is None or row.expires < time.time():
            raise NotFoundError(f"no credential offer {offer_id!r}, or it expired")
        return row

    def credential_offer(self, offer_id: str) -> dict[str, Any]:
        row = self._offer_row(offer_id)
        if row.redeemed is not None:
            raise NotFoundError(f"credential offer {offer_id!r} was already redeemed")
        tx_code = None
        if row.tx_code_sha256:
            tx_code = TxCode(
                input_mode="numeric",
                length=row.tx_code_length,
                description="Enter the code that program staff gave you.",
            )
        offer = CredentialOffer(
            credential_issuer=self.issuer,
            credential_configuration_ids=(row.configuration_id,),
            pre_authorized_code=row.pre_authorized_code,
            tx_code=tx_code,
        )
        return offer.to_json()

    def offer_link(self, offer_id: str) -> str:
        self._offer_row(offer_id)
        return credential_offer_link(
            credential_offer_uri=f"{self.issuer}/offers/{offer_id}"
        )

    def offer_qr(self, offer_id: str, *, image_format: str) -> bytes:
        import qrcode
        import qrcode.image.svg

        link = self.offer_link(offer_id)
        if image_format == "svg":
            image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage)
        else:
            image = qrcode.make(link)
        buffer = io.BytesIO()
        image.save(buffer)
        return buffer.getvalue()

    # -- token ---------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Exchange a pre-authorized code (and transaction code) for an access token."""
        grant_type = form.get("grant_type")
        if grant_type != PRE_AUTHORIZED_CODE_GRANT:
            raise Oid4vciError(
                f"grant_type {grant_type!r} is not supported; use {PRE_AUTHORIZED_CODE_GRANT}",
                error="unsupported_grant_type",
            )
        code = form.get("pre-authorized_code")
        if not code:
            raise Oid4vciError("pre-authorized_code is missing")
        tx_code = form.get("tx_code")
        with self.service.database.engine.connect() as connection:
            row = connection.execute(
                select(offer_table).where(offer_table.c.pre_authorized_code == code)
            ).first()
        if row is None or row.expires < time.time() or row.redeemed is not None:
            raise Oid4vciError(
                "the pre-authorized code is unknown, expired or already used",
                error="invalid_grant",
            )
        self._check_tx_code(row, tx_code)
        access_token = secrets.token_urlsafe(32)
        now = int(time.time())

        def work(connection: Connection) -> None:
            # Redeem the code only if no concurrent request redeemed it first.
            result = connection.execute(
                update(offer_table)
                .where(offer_table.c.id == row.id, offer_table.c.redeemed.is_(None))
                .values(redeemed=now)
            )
            if result.rowcount != 1:
                raise Oid4vciError(
                    "the pre-authorized code was already used", error="invalid_grant"
                )
            connection.execute(
                insert(access_token_table).values(
                    token_sha256=sha256_hex(access_token),
                    offer_id=row.id,
                    expires=now + self.settings.access_token_ttl,
                )
            )

        self.service.database.transaction(work)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.settings.access_token_ttl,
        }

    def _check_tx_code(self, row: Any, tx_code: str | None) -> None:
        if row.tx_code_sha256 is None:
            if tx_code is not None:
                raise Oid4vciError("this offer does not expect a tx_code; leave it out")
            return
        if tx_code is None:
            raise Oid4vciError(
                "this offer needs the tx_code that staff gave the holder"
            )
        if secrets.compare_digest(sha256_hex(tx_code), row.tx_code_sha256):
            return

        def work(connection: Connection) -> None:
            values: dict[str, Any] = {
                "failed_attempts": offer_table.c.failed_attempts + 1
            }
            if row.failed_attempts + 1 >= self.settings.max_tx_code_attempts:
                values["expires"] = 0
            connection.execute(
                update(offer_table).where(offer_table.c.id == row.id).values(**values)
            )

        self.service.database.transaction(work)
        logger.info(
            "wrong tx_code for offer %s (attempt %d)", row.id, row.failed_attempts + 1
        )
        raise Oid4vciError("the tx_code is wrong", error="invalid_grant")

    # -- nonce ---------------------------------------------------------------------

    def nonce(self) -> dict[str, str]:
        value = secrets.token_urlsafe(24)
        now = int(time.time())

        def work(connection: Connection) -> None:
            connection.execute(delete(nonce_table).where(nonce_table.c.expires < now))
            connection.execute(
                insert(nonce_table).values(
                    value=value, expires=now + self.settings.nonce_ttl
                )
            )

        self.service.database.transaction(work)
        return {"c_nonce": value}

    def _consume_nonce(self, value: str) -> None:
        now = int(time.time())

        def work(connection: Connection) -> int:
            result = connection.execute(
                delete(nonce_table).where(
                    nonce_table.c.value == value, nonce_table.c.expires >= now
                )
            )
            return int(result.rowcount)

        if self.service.database.transaction(work) != 1:
            raise Oid4vciError(
                "the c_nonce is unknown, expired or already used; get a new one from "
                "the nonce endpoint",
                error="invalid_nonce",
            )

    # -- credential ----------------------------------------------------------------

    def _offer_for_token(self, access_token: str) -> Any:
        with self.service.database.engine.connect() as connection:
            row = connection.execute(
                select(access_token_table).where(
                    access_token_table.c.token_sha256 == sha256_hex(access_token)
                )
            ).first()
            if row is None or row.expires < time.time():
                raise Oid4vciError(
                    "the access token is unknown or expired",
                    error="invalid_token",
                    status=401,
                )
            return connection.execute(
                select(offer_table).where(offer_table.c.id == row.offer_id)
            ).one()

    def credential(self, access_token: str, body: object) -> dict[str, Any]:
        """Check a Credential Request's key proof and return the credential bound to its key."""
        offer = self._offer_for_token(access_token)
        request = CredentialRequest.from_json(body)
        if request.credential_configuration_id != offer.configuration_id:
            raise Oid4vciError(
                f"credential_configuration_id {request.credential_configuration_id!r} "
                "was not offered with this access token",
                error="unknown_credential_configuration",
            )
        if request.proof_type != "jwt" or len(request.proofs) != 1:
            raise Oid4vciError(
                'send exactly one key proof of type jwt: {"proofs": {"jwt": [...]}}',
                error="invalid_proof",
            )
        proof = verify_proof_jwt(request.proofs[0], audience=self.issuer)
        self._consume_nonce(proof.nonce or "")
        if self.service.credential_status(offer.credential_id) == "revoked":
            logger.info(
                "offer %s: credential %s is revoked", offer.id, offer.credential_id
            )
            raise Oid4vciError(
                "the offered credential was revoked after the offer was made",
                error="credential_request_denied",
            )
        try:
            credential = self.service.rebind_credential(
                offer.credential_id, proof.holder, actor="openid4vci"
            )
        except ConflictError as e:
            logger.info("offer %s: %s", offer.id, e.detail)
            raise Oid4vciError(e.detail, error="credential_request_denied") from e
        logger.info(
            "credential %s delivered to holder %s", offer.credential_id, proof.holder
        )
        return {"credentials": [{"credential": credential}]}
