"""Badges canonicalize with only terms the VC 2.0 and OB 3.0.3 contexts define."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vcwork.jsonld import canonicalize

# Appended as a last context, this @vocab catches every term and type name the
# real contexts leave undefined: JSON-LD expands them under this prefix
# instead of dropping them silently.
UNDEFINED = "urn:vcwork-test:undefined-term#"


def _undefined_terms(credential: dict[str, Any]) -> list[str]:
    probe = copy.deepcopy(credential)
    probe["@context"] = [*probe["@context"], {"@vocab": UNDEFINED}]
    return [line for line in canonicalize(probe).splitlines() if UNDEFINED in line]


def _nquads_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\n", "\\n").replace("\r", "\\r")


def test_probe_detects_undefined_term(catalog_credentials: dict[str, Any]) -> None:
    credential = copy.deepcopy(catalog_credentials["hand-tools"])
    credential["credentialSubject"]["achievement"]["level"] = "entry"
    assert len(_undefined_terms(credential)) == 1


def test_catalog_credentials_canonicalize(catalog_credentials: dict[str, Any]) -> None:
    for slug, credential in catalog_credentials.items():
        nquads = canonicalize(credential)
        assert nquads.endswith("\n"), slug
        assert _undefined_terms(credential) == [], slug


def test_full_credential_canonicalizes(math_credential: dict[str, Any]) -> None:
    nquads = canonicalize(math_credential)
    assert "https://www.w3.org/2018/credentials#evidence" in nquads
    assert "https://www.w3.org/ns/credentials/status#statusListIndex" in nquads
    assert _undefined_terms(math_credential) == []


def test_endorsement_canonicalizes(endorsement: dict[str, Any]) -> None:
    nquads = canonicalize(endorsement)
    assert _nquads_literal("We accept this certificate for direct entry.") in nquads
    assert _undefined_terms(endorsement) == []


@pytest.mark.parametrize("slug", ["hand-tools", "pre-apprenticeship-certificate"])
def test_narrative_survives_canonicalization(
    catalog_credentials: dict[str, Any], slug: str
) -> None:
    credential = catalog_credentials[slug]
    narrative = credential["credentialSubject"]["achievement"]["criteria"]["narrative"]
    nquads = canonicalize(credential)
    assert (
        f"<https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> "
        f'"{_nquads_literal(narrative)}"'
    ) in nquads


def test_level_survives_canonicalization(catalog_credentials: dict[str, Any]) -> None:
    nquads = canonicalize(catalog_credentials["pre-apprenticeship-certificate"])
    assert '"ext:AchievementLevel"' in nquads
    assert '"intermediate"' in nquads
