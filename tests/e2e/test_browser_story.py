"""The employer's and the participant's browsers, with QR codes read from screenshots.

The three services run as child processes (as ``vcwork up`` starts them)
and the demo story seeds them. Then headless Chromium plays two people: the
employer opens the verifier's request page, and the test decodes the QR code
from a screenshot with zxing-cpp, as the participant's phone camera would. The
participant opens that request in the wallet's page, unticks the revoked
badge and sends. The employer's page then turns into the result. The wallet's
share QR code is decoded the same way and opened on the employer's side.

Screenshots of the key pages are saved to ``docs/images/`` when
``VCWORK_UPDATE_DOC_IMAGES=1`` is set. Needs Debian's
``chromium`` package; without it the tests skip, except under ``CI=true``,
where they fail.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_helpers import free_ports

from vcwork.system import DemoStory, System, SystemLayout

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
DESK = {"width": 1000, "height": 760}
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
REVOKED = "Hand Tool Proficiency"
CERTIFICATE = "Construction Pre-Apprenticeship Certificate"
# The employer's page polls every 1.5 s; a loaded 2-core machine needs longer.
PAGE_TIMEOUT_MS = 30_000


def _sync_playwright() -> Any:
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


def _decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    texts = [r.text for r in results if r.text]
    assert len(texts) == 1, f"expected one QR code in the screenshot, found {texts}"
    return str(texts[0])


def _save(page: Any, name: str) -> bytes:
    """Take a screenshot of the viewport; refresh docs/images when asked.

    Set VCWORK_UPDATE_DOC_IMAGES=1 to replace the pictures in the docs, so a
    plain test run leaves the working tree unchanged.
    """
    png: bytes = page.screenshot()
    if os.environ.get("VCWORK_UPDATE_DOC_IMAGES") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        (IMAGES / name).write_bytes(png)
    return png


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, Path]]:
    layout = SystemLayout(tmp_path_factory.mktemp("vcwork-data"))
    system = System(layout, ports=free_ports())
    system.start()
    try:
        story = DemoStory(system)
        try:
            story.run()
        finally:
            story.close()
        yield system, layout.demo_dir / "wallet-passphrase.txt"
    finally:
        system.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _sync_playwright()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Any, seeded: tuple[System, Path]) -> Iterator[Any]:
    """The participant's phone with the wallet unlocked."""
    system, passphrase_file = seeded
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(system.wallet_url + "/unlock")
    page.fill("#passphrase", passphrase_file.read_text("utf-8").strip())
    page.click("button[type=submit]")
    page.wait_for_url(system.wallet_url + "/")
    yield page
    context.close()


@pytest.fixture
def employer(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    yield page
    context.close()


def _achievement_names(page: Any) -> list[str]:
    return [
        name.strip() for name in page.locator(".achievement-name").all_inner_texts()
    ]


def test_request_qr_answered_from_wallet(
    seeded: tuple[System, Path], phone: Any, employer: Any
) -> None:
    system, _ = seeded
    _save(phone, "wallet-portfolio.png")
    employer.goto(system.verifier_url + "/")
    employer.fill("#purpose", "Construction laborer opening")
    employer.click("#create-request")
    employer.wait_for_selector("#qr")
    link = _decode_qr(_save(employer, "verifier-request-qr.png"))
    assert link.startswith("openid4vp://")
    assert parse_qs(urlsplit(link).query)["request_uri"][0].startswith(
        system.verifier_url + "/oid4vp/request/"
    )

    # The phone opens the scanned link with the wallet's page for requests.
    phone.goto(system.wallet_url + "/present?" + urlsplit(link).query)
    phone.click("button[type=submit]")
    phone.wait_for_selector("input[name=pick]")
    revoked = phone.locator("label", has_text=REVOKED)
    assert revoked.count() == 1
    phone.uncheck("#" + revoked.get_attribute("for"))
    _save(phone, "wallet-choose-credentials.png")
    phone.click("button[type=submit]")
    phone.wait_for_selector("text=Your signed presentation was sent")

    employer.wait_for_url("**/result")
    verdict = employer.locator("#verdict")
    assert verdict.get_attribute("data-verdict") == "verified"
    names = _achievement_names(employer)
    assert CERTIFICATE in names
    assert "OSHA 10-Hour Construction Safety" in names
    assert REVOKED not in names
    assert len(names) == 5
    check_cells = employer.locator("tr.check th")
    classes = {
        check_cells.nth(i).get_attribute("class") for i in range(check_cells.count())
    }
    assert classes == {"check-passed"}
    _save(employer, "verifier-result.png")


def test_share_qr_opens_verifier_result(
    seeded: tuple[System, Path], phone: Any, employer: Any
) -> None:
    system, _ = seeded
    phone.goto(system.wallet_url + "/share")
    certificate = phone.locator("label", has_text=CERTIFICATE)
    phone.check("#" + certificate.get_attribute("for"))
    phone.click("button[type=submit]")
    phone.wait_for_selector("img.qr")
    target = _decode_qr(_save(phone, "wallet-share-qr.png"))
    assert target.startswith(system.verifier_url + "/share?u=")

    employer.goto(target)

    employer.wait_for_url("**/results/**")
    assert employer.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert _achievement_names(employer) == [CERTIFICATE]
    assert employer.locator(".badge.known").count() >= 1
    _save(employer, "verifier-share-result.png")
