"""The HTML report: self-contained, charts present, rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from vcwork.outcomes import (
    CohortDefinition,
    build_report,
    generate_synthetic_cohort,
    render_html,
    write_report,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A resource reference: src=, href=, url(...), @import, with a scheme or //host.
EXTERNAL_REFERENCE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|@import""",
    re.IGNORECASE,
)


def _report_html() -> str:
    cohort = generate_synthetic_cohort(participants=400, cohorts=4, seed=3)
    report = build_report(
        cohort.participants,
        definition=CohortDefinition(as_of=cohort.as_of),
        verification_counts=cohort.verification_counts,
        cohort_date=cohort.cohort_date,
        program="Test program",
        data_sources=("Synthetic cohort for tests",),
        generated_at=datetime(2025, 1, 1),
    )
    return render_html(report)


def test_html_has_metadata_and_no_external_references() -> None:
    text = _report_html()
    assert EXTERNAL_REFERENCE.search(text) is None
    assert "http://" not in text
    assert "https://" not in text
    assert "<script" not in text
    assert "Cohort definition" in text
    assert "Data sources" in text
    assert "Synthetic cohort for tests" in text
    assert "outcomes as of" in text
    assert text.count('<figure class="chart"') >= 5
    assert text.count("<svg") == text.count('<figure class="chart"')


def test_html_rendering_is_deterministic() -> None:
    assert _report_html() == _report_html()


def test_html_marks_suppressed_cells() -> None:
    cohort = generate_synthetic_cohort(participants=40, cohorts=2, seed=5)
    report = build_report(
        cohort.participants,
        definition=CohortDefinition(as_of=cohort.as_of),
        minimum_cell_size=25,
    )
    text = render_html(report)
    assert 'class="suppressed"' in text
    assert "fewer than 25 participants" in text


def _require_browser() -> None:
    missing = []
    if shutil.which(CHROMIUM) is None:
        missing.append("chromium at " + CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not missing:
        return
    message = "the browser test needs " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_html_renders_in_chromium_without_requests(tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    cohort = generate_synthetic_cohort(participants=300, cohorts=3, seed=2)
    report = build_report(
        cohort.participants,
        definition=CohortDefinition(as_of=cohort.as_of),
        verification_counts=cohort.verification_counts,
        cohort_date=cohort.cohort_date,
        generated_at=datetime(2025, 1, 1),
    )
    (html_path,) = write_report(report, tmp_path, formats=("html",))
    page_url = html_path.as_uri()
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_url)
            page.wait_for_load_state("networkidle")
            charts = page.locator("figure.chart svg")
            assert charts.count() >= 5
            for index in range(charts.count()):
                box = charts.nth(index).bounding_box()
                assert box is not None
                assert box["width"] > 100
                assert box["height"] > 50
            # Bars are drawn as paths inside each chart.
            assert page.locator("figure.chart svg path").count() > 20
            assert "Employment rate by credential earned" in page.inner_text("body")
            screenshot = page.screenshot(full_page=True)
            assert len(screenshot) > 10_000
        finally:
            browser.close()
    assert requests == [page_url]


def test_chromium_command_line_screenshot(tmp_path: Path) -> None:
    _require_browser()
    import subprocess

    cohort = generate_synthetic_cohort(participants=200, cohorts=2, seed=4)
    report = build_report(
        cohort.participants, definition=CohortDefinition(as_of=date(2025, 1, 1))
    )
    (html_path,) = write_report(report, tmp_path, formats=("html",))
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
            f"--screenshot={screenshot}",
            "--window-size=1200,2000",
            html_path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert screenshot.stat().st_size > 10_000
