"""The wallet in headless Chromium: receive, portfolio, share QR and backup on a phone-sized screen.

Needs Debian's ``chromium`` package (``/usr/bin/chromium``) and the
``playwright`` and ``zxing-cpp`` Python packages. Without Chromium the test
is skipped locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from wallet.app import create_app
from wallet.settings import Settings
from wallet_testing import PASSPHRASE, LoopbackIssuer, LoopbackServer, LoopbackVerifier

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
# Only stops a test whose page never shows the text; no test measures time.
SHOWN_TIMEOUT_MS = 30_000


def _require_browser() -> Any:
    missing = None
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
        sync_playwright = None
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture
def browser_page() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=PHONE, accept_downloads=True)
        page = context.new_page()
        external: list[str] = []
        page.on(
            "request",
            lambda request: (
                external.append(request.url)
                if not request.url.startswith(("http://127.0.0.1", "data:"))
                else None
            ),
        )
        page.external_requests = external
        yield page
        browser.close()


@pytest.fixture
def wallet_server(settings: Settings, verifier: LoopbackVerifier) -> Iterator[str]:
    server = LoopbackServer()
    settings = dataclasses.replace(
        settings, port=server.port, verifier_url=f"{verifier.url}/shared"
    )
    server.start(create_app(settings))
    yield server.url
    server.stop()


def _nav(page: Any, name: str) -> None:
    """Follow a menu link and wait for the new page, so checks see its content."""
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role(
            "link", name=name, exact=True
        ).click()


def _decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the screenshot"
    return str(results[0].text)


def _shown(locator: Any) -> bool:
    """Wait until ``locator`` is visible: after a click the next page may still load."""
    locator.first.wait_for(state="visible", timeout=SHOWN_TIMEOUT_MS)
    return True


def _fits_phone_width(page: Any) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    )


def _qr_png(text: str, path: Path) -> Path:
    import qrcode

    qrcode.make(text).save(path)
    return path


def test_browser_receive_share_backup(
    browser_page: Any,
    wallet_server: str,
    issuer: LoopbackIssuer,
    tmp_path: Path,
) -> None:
    page = browser_page

    # Set up with a passphrase.
    page.goto(wallet_server)
    assert page.url.endswith("/setup")
    page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    page.get_by_label("Passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Create wallet").click()
    page.wait_for_url(f"{wallet_server}/")
    assert _shown(page.get_by_text("Your wallet is empty"))

    # Receive: paste a link with a transaction code.
    _nav(page, "Receive")
    page.get_by_label("Offer link").fill(issuer.offer(["hand-tools"], tx_code="2468"))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Transaction code").fill("2468")
    page.get_by_role("button", name="Accept and verify").click()
    assert _shown(page.get_by_text("Verified and stored"))

    # Receive: upload a photo of the offer QR code.
    qr_file = _qr_png(issuer.offer(["jobsite-safety"]), tmp_path / "offer.png")
    _nav(page, "Receive")
    page.get_by_label("Or a photo of the offer's QR code").set_input_files(str(qr_file))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Accept and verify").click()
    assert _shown(page.get_by_text("Verified and stored"))

    # A tampered credential is shown with its problems and not stored.
    issuer.tamper = True
    _nav(page, "Receive")
    page.get_by_label("Offer link").fill(issuer.offer(["construction-math"]))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Accept and verify").click()
    assert _shown(page.get_by_text("failed verification and was not stored"))
    issuer.tamper = False

    # Portfolio: grouped with levels, occupations, readable at 360 px.
    _nav(page, "Portfolio")
    assert _shown(page.get_by_role("heading", name="Construction Pathways Program"))
    assert _shown(page.get_by_text("Entry level").first)
    assert page.get_by_text("Math for Construction").count() == 0
    assert _fits_phone_width(page)

    # Detail page with the re-checked status.
    page.get_by_role("link", name="Hand Tool Proficiency").click()
    assert _shown(page.get_by_role("heading", name="How competency was assessed"))
    assert _shown(page.get_by_text("Verified", exact=True))
    assert _fits_phone_width(page)

    # Share: the QR code on screen opens the verifier's page for the link.
    page.get_by_role("link", name="Share or add to profile").click()
    page.get_by_role("button", name="Create share link").click()
    qr_text = _decode_qr(page.locator("img.qr").screenshot())
    assert qr_text == page.locator("#share-target").get_attribute("href")
    assert httpx.get(qr_text).json() == {"verified": True, "count": 1}
    assert _fits_phone_width(page)

    # Withdraw: the verifier can no longer fetch it.
    _nav(page, "Share links")
    page.get_by_role("button", name="Withdraw").click()
    assert _shown(page.get_by_text("Withdrawn"))
    assert httpx.get(qr_text).status_code >= 400

    # Backup: export, delete a credential, import, nothing lost or duplicated.
    _nav(page, "Backup")
    page.get_by_label("Backup passphrase", exact=True).fill("backup passphrase 1")
    page.get_by_label("Backup passphrase again").fill("backup passphrase 1")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download backup").click()
    backup_file = tmp_path / "backup.json"
    download_info.value.save_as(backup_file)

    _nav(page, "Portfolio")
    page.get_by_role("link", name="Jobsite Safety Awareness").click()
    page.get_by_text("Delete this credential").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete credential").click()
    assert page.get_by_role("link", name="Jobsite Safety Awareness").count() == 0

    _nav(page, "Backup")
    page.get_by_label("Backup file", exact=True).set_input_files(str(backup_file))
    page.get_by_label("Passphrase of the backup file").fill("backup passphrase 1")
    page.get_by_role("button", name="Import backup").click()
    assert _shown(page.get_by_text("Imported: 1 new credentials"))
    _nav(page, "Portfolio")
    assert page.get_by_role("link", name="Jobsite Safety Awareness").count() == 1
    assert page.get_by_role("link", name="Hand Tool Proficiency").count() == 1

    # Keyboard: the first control after the skip link is reachable by Tab.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    assert page.external_requests == []
