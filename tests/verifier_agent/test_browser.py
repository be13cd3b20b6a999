"""The employer's browser flow in headless Chromium: QR request to result page."""

from __future__ import annotations

import io
import os
import shutil
from typing import Any

import httpx
import pytest

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


def _require_browser() -> None:
    missing = [
        name
        for name, ok in (
            ("chromium", shutil.which(CHROMIUM) is not None),
            ("playwright", _importable("playwright")),
            ("zxing-cpp", _importable("zxingcpp")),
        )
        if not ok
    ]
    if not missing:
        return
    message = f"browser test needs {', '.join(missing)}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_browser_request_qr_to_result(verifier, wallet: Any) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    import zxingcpp
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 412, "height": 915})
            page.goto(f"{verifier.url}/")
            page.fill("#purpose", "Carpentry apprentice interview")
            page.click("#create-request")
            page.wait_for_selector("#qr")
            assert "Waiting for the wallet" in page.inner_text("#status")

            screenshot = page.locator("#qr").screenshot()
            codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(screenshot)))
            assert len(codes) == 1
            link = codes[0].text
            assert link.startswith("openid4vp://?client_id=redirect_uri%3A")

            request = wallet.fetch_request(link)
            assert wallet.respond(request).status_code == 200

            page.wait_for_selector("#verdict", timeout=15_000)
            assert page.get_attribute("#verdict", "data-verdict") == "verified"
            names = page.locator(".achievement-name").all_inner_texts()
            expected = [
                b["credentialSubject"]["achievement"]["name"]
                for b in wallet.parties.badges
            ]
            assert names == expected
            assert "Known program" in page.content()
        finally:
            browser.close()


def test_browser_shows_rejection(verifier, wallet: Any) -> None:  # type: ignore[no-untyped-def]
    _require_browser()
    from playwright.sync_api import sync_playwright

    links = httpx.post(f"{verifier.url}/api/presentation-requests", json={}).json()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(links["page_url"])
            request = wallet.fetch_request(links["authorization_link"])
            assert wallet.respond(request, nonce="stale-nonce").status_code == 400
            page.wait_for_selector("#rejection", timeout=15_000)
            assert "nonce mismatch" in page.inner_text("#rejection")
            assert page.get_attribute("#verdict", "data-verdict") == "failed"
        finally:
            browser.close()
