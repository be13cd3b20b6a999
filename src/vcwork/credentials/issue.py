"""Issuing credentials and creating presentations."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from ..errors import MalformedValueError, Problem
from ..jsonld.loader import BundledDocumentLoader
from ..keys import Ed25519KeyPair
from .model import VC_V2_CONTEXT, issuer_id, validate_credential

__all__ = [
    "CredentialValidationError",
    "create_presentation",
    "issue_credential",
    "sign_presentation",
]


class CredentialValidationError(MalformedValueError):
    """The credential to issue breaks the VC Data Model; ``problems`` lists each."""

    def __init__(self, problems: list[Problem]) -> None:
        details = "; ".join(
            f"{p.property}: {p.detail}" if p.property else p.detail for p in problems
        )
        super().__init__(f"the credential is not valid: {details}")
        self.problems = problems


def issue_credential(
    credential: dict[str, Any],
    key_pair: Ed25519KeyPair,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | str | None = None,
    loader: BundledDocumentLoader | None = None,
) -> dict[str, Any]:
    """Validate a credential and add the issuer's Data Integrity proof.

    The key pair's controller must be the credential's issuer, so a verifier
    can bind the signature to the issuer. Raises
    :class:`CredentialValidationError` listing every data model problem, and
    :class:`vcwork.errors.ProofTransformationError` when a term does not
    expand (it would be left unsigned).
    """
    from ..proofs import sign

    problems = validate_credential(credential)
    if problems:
        raise CredentialValidationError(problems)
    issuer = issuer_id(credential)
    if key_pair.controller is not None and key_pair.controller != issuer:
        raise MalformedValueError(
            f"the signing key is controlled by {key_pair.controller!r} but the "
            f"credential's issuer is {issuer!r}; sign with a key of the issuer",
            property="issuer",
            value=issuer,
        )
    return sign(
        credential,
        key_pair,
        cryptosuite=cryptosuite,
        proof_purpose="assertionMethod",
        created=created,
        loader=loader,
    )


def create_presentation(
    credentials: list[dict[str, Any]],
    *,
    holder: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """Return an unsigned VC 2.0 presentation of ``credentials``.

    1.1 credentials can be enclosed too: the presentation's context is the
    2.0 one, and each credential keeps its own.
    """
    presentation: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
    }
    if holder is not None:
        presentation["holder"] = holder
    presentation["verifiableCredential"] = [copy.deepcopy(c) for c in credentials]
    return presentation


def sign_presentation(
    presentation: dict[str, Any],
    key_pair: Ed25519KeyPair,
    *,
    challenge: str,
    domain: str | None = None,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | str | None = None,
    loader: BundledDocumentLoader | None = None,
) -> dict[str, Any]:
    """Add the holder's ``authentication`` proof, bound to challenge and domain."""
    from ..proofs import sign

    if not isinstance(challenge, str) or not challenge:
        raise MalformedValueError(
            "a presentation proof needs the verifier's challenge (a non-empty "
            "string) so it cannot be replayed",
            property="challenge",
        )
    return sign(
        presentation,
        key_pair,
        cryptosuite=cryptosuite,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created=created,
        loader=loader,
    )
