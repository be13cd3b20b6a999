"""Receive, present and share over real HTTP on loopback, through the service and the web app."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from wallet.app import create_app
from wallet.errors import ExchangeError
from wallet.service import WalletService
from wallet.settings import Settings
from wallet_testing import PASSPHRASE, LoopbackIssuer, LoopbackServer, LoopbackVerifier

ENTRY = ["hand-tools", "jobsite-safety"]


@pytest.fixture
def service(settings: Settings) -> Iterator[WalletService]:
    settings.data_dir.mkdir(parents=True)
    service = WalletService(settings)
    yield service
    service.close()


def test_receive_stores_verified_credentials(
    service: WalletService, issuer: LoopbackIssuer
) -> None:
    wallet = service.store.create(PASSPHRASE)
    outcome = service.receive(wallet, issuer.offer(ENTRY), tx_code=None)
    assert [
        c.credential["credentialSubject"]["achievement"]["name"] for c in outcome.stored
    ] == [
        "Hand Tool Proficiency",
        "Jobsite Safety Awareness",
    ]
    assert outcome.rejected == []
    stored = wallet.list_credentials()
    assert len(stored) == 2
    assert all(c.verification["verified"] for c in stored)
    assert stored[0].credential["credentialSubject"]["id"] == wallet.default_key().did


def test_receive_with_tx_code(service: WalletService, issuer: LoopbackIssuer) -> None:
    wallet = service.store.create(PASSPHRASE)
    link = issuer.offer(["hand-tools"], tx_code="4711")
    preview = service.preview_offer(link)
    assert preview.offer.tx_code is not None
    assert preview.offer.tx_code.length == 4
    assert preview.credential_names == ["Hand Tool Proficiency"]
    outcome = service.receive(wallet, link, tx_code="4711")
    assert len(outcome.stored) == 1


def test_receive_wrong_tx_code(service: WalletService, issuer: LoopbackIssuer) -> None:
    wallet = service.store.create(PASSPHRASE)
    link = issuer.offer(["hand-tools"], tx_code="4711")
    with pytest.raises(ExchangeError, match="transaction code is wrong"):
        service.receive(wallet, link, tx_code="0000")
    assert wallet.list_credentials() == []


def test_receive_missing_tx_code(
    service: WalletService, issuer: LoopbackIssuer
) -> None:
    wallet = service.store.create(PASSPHRASE)
    with pytest.raises(ExchangeError, match="transaction code"):
        service.receive(
            wallet, issuer.offer(["hand-tools"], tx_code="4711"), tx_code=None
        )


def test_tampered_credential_not_stored(
    service: WalletService, issuer: LoopbackIssuer
) -> None:
    wallet = service.store.create(PASSPHRASE)
    issuer.tamper = True
    outcome = service.receive(wallet, issuer.offer(["hand-tools"]), tx_code=None)
    assert outcome.stored == []
    assert len(outcome.rejected) == 1
    codes = [p["code"] for p in outcome.rejected[0].problems]
    assert (
        "PROOF_VERIFICATION_ERROR" in codes or "CRYPTOGRAPHIC_SECURITY_ERROR" in codes
    )
    assert wallet.list_credentials() == []


@pytest.mark.parametrize(
    "offer",
    [
        "",
        "hello",
        "openid-credential-offer://?credential_offer=%7Bnot-json",
        'openid-credential-offer://?credential_offer={"credential_issuer":"http://203.0.113.9",'
        '"credential_configuration_ids":["x"],"grants":{"urn:ietf:params:oauth:grant-type:'
        'pre-authorized_code":{"pre-authorized_code":"c"}}}',
        "{" * 5000,
    ],
)
def test_bad_offers_are_clear_errors(service: WalletService, offer: str) -> None:
    wallet = service.store.create(PASSPHRASE)
    with pytest.raises(ExchangeError):
        service.receive(wallet, offer, tx_code=None)


def test_present_to_verifier(
    service: WalletService, issuer: LoopbackIssuer, verifier: LoopbackVerifier
) -> None:
    wallet = service.store.create(PASSPHRASE)
    service.receive(wallet, issuer.offer(ENTRY), tx_code=None)
    link = verifier.request_link()
    pending = service.open_request(wallet, link)
    assert pending.verifier_name == "BuildRight Hiring"
    assert len(pending.matches["badges"]) == 2
    redirect = service.answer_request(
        wallet, link, {"badges": [c.id for c in pending.matches["badges"]]}
    )
    assert redirect is not None
    result = httpx.get(redirect).json()
    assert result["verified"] is True
    assert result["count"] == 2


def test_present_single_pick_enforced(
    service: WalletService, issuer: LoopbackIssuer, verifier: LoopbackVerifier
) -> None:
    wallet = service.store.create(PASSPHRASE)
    service.receive(wallet, issuer.offer(ENTRY), tx_code=None)
    link = verifier.request_link(multiple=False)
    ids = [c.id for c in wallet.list_credentials()]
    with pytest.raises(ExchangeError, match="pick one"):
        service.answer_request(wallet, link, {"badges": ids})


def test_share_link_verifies_and_withdraws(
    settings: Settings, issuer: LoopbackIssuer, verifier: LoopbackVerifier
) -> None:
    server = LoopbackServer()
    settings = dataclasses.replace(
        settings,
        port=server.port,
        verifier_url=f"{verifier.url}/shared",
    )
    app = create_app(settings)
    server.start(app)
    try:
        service: WalletService = app.state.service
        wallet = service.store.create(PASSPHRASE)
        service.receive(wallet, issuer.offer(ENTRY), tx_code=None)
        link = service.create_share(
            wallet, [c.id for c in wallet.list_credentials()], days=7
        )
        assert link.url.startswith(server.url + "/s/")
        target = urlsplit(link.qr_target)
        assert parse_qs(target.query)["u"] == [link.url]

        result = httpx.get(link.qr_target).json()
        assert result == {"verified": True, "count": 2}

        wallet.withdraw_share(link.record.id)
        gone = httpx.get(link.url)
        assert gone.status_code == 410
        assert gone.headers["content-type"].startswith("application/problem+json")
        assert gone.json()["status"] == 410
    finally:
        server.stop()


def test_web_receive_and_present(
    settings: Settings, issuer: LoopbackIssuer, verifier: LoopbackVerifier
) -> None:
    server = LoopbackServer()
    settings = dataclasses.replace(settings, port=server.port)
    server.start(create_app(settings))
    try:
        with httpx.Client(base_url=server.url, follow_redirects=True) as client:
            page = client.post(
                "/setup", data={"passphrase": PASSPHRASE, "confirm": PASSPHRASE}
            )
            assert page.status_code == 200
            csrf = _csrf(page.text)

            offer = issuer.offer(ENTRY, tx_code="123456")
            page = client.post("/receive", data={"csrf": csrf, "offer": offer})
            assert "Construction Pathways Program" in page.text
            assert 'name="tx_code"' in page.text
            page = client.post(
                "/receive/accept",
                data={"csrf": csrf, "offer": offer, "tx_code": "123456"},
            )
            assert "Verified and stored" in page.text
            assert "Hand Tool Proficiency" in page.text

            page = client.get("/")
            assert "Entry level" in page.text
            assert "Carpenters" in page.text

            link = verifier.request_link()
            page = client.post("/present", data={"csrf": csrf, "link": link})
            picks = re.findall(r'name="pick" value="([^"]+)"', page.text)
            assert len(picks) == 2
            page = client.post(
                "/present/send", data={"csrf": csrf, "link": link, "pick": picks}
            )
            assert "Your signed presentation was sent" in page.text
            assert len(verifier.results) == 1
            assert next(iter(verifier.results.values()))["verified"] is True
    finally:
        server.stop()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match is not None
    return match.group(1)
