"""Web app: sessions, CSRF, error pages, hostile input and the public routes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from wallet.app import SESSION_COOKIE, create_app
from wallet.settings import Settings
from wallet_testing import PASSPHRASE


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _setup(client: TestClient) -> str:
    page = client.post("/setup", data={"passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_new_wallet_redirects_to_setup(client: TestClient) -> None:
    page = client.get("/")
    assert page.url.path == "/setup"
    assert '<label for="passphrase">' in page.text


def test_setup_passphrase_mismatch(client: TestClient) -> None:
    page = client.post(
        "/setup", data={"passphrase": PASSPHRASE, "confirm": "other passphrase"}
    )
    assert page.status_code == 400
    assert "the two passphrases differ" in page.text


def test_locked_wallet_redirects_to_unlock(client: TestClient) -> None:
    _setup(client)
    client.cookies.clear()
    page = client.get("/backup")
    assert page.url.path == "/unlock"
    assert "next=/backup" in str(page.url)


def test_unlock_wrong_passphrase(client: TestClient) -> None:
    _setup(client)
    client.cookies.clear()
    page = client.post("/unlock", data={"passphrase": "wrong passphrase", "next": "/"})
    assert page.status_code == 401
    assert "That passphrase is wrong" in page.text


def test_unlock_ignores_foreign_next(client: TestClient) -> None:
    _setup(client)
    client.cookies.clear()
    page = client.post(
        "/unlock",
        data={"passphrase": PASSPHRASE, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert page.headers["location"] == "/"


def test_post_without_csrf_rejected(client: TestClient) -> None:
    _setup(client)
    page = client.post("/public/publish", data={})
    assert page.status_code == 400
    assert "reload the page" in page.text


def test_forged_session_cookie(client: TestClient) -> None:
    _setup(client)
    client.cookies.set(SESSION_COOKIE, "forged-token")
    page = client.get("/")
    assert page.url.path == "/unlock"


def test_lock_ends_session(client: TestClient) -> None:
    csrf = _setup(client)
    token = client.cookies.get(SESSION_COOKIE)
    client.post("/lock", data={"csrf": csrf})
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/").url.path == "/unlock"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/receive", {"offer": "not an offer"}),
        ("/receive", {"offer": ["a", "b"]}),
        ("/present", {"link": "openid4vp://?client_id=x"}),
        ("/receive/accept", {"offer": "{" * 3000}),
        ("/share", {"id": "no-such-credential", "days": "7"}),
        ("/share", {"days": "lots"}),
        ("/share", {"id": "x", "days": "9999"}),
        ("/present/send", {"link": "openid4vp://?", "pick": "badges|x"}),
        ("/credentials/unknown/delete", {}),
        ("/shares/unknown/withdraw", {}),
        ("/backup/export", {"passphrase": "short", "confirm": "short"}),
    ],
)
def test_bad_form_input_is_4xx(client: TestClient, path: str, data: dict) -> None:
    csrf = _setup(client)
    page = client.post(path, data={"csrf": csrf, **data})
    assert 400 <= page.status_code < 500
    assert "<h1>" in page.text
    assert "Traceback" not in page.text


def test_oversized_body_is_413(client: TestClient) -> None:
    csrf = _setup(client)
    page = client.post("/receive/accept", data={"csrf": csrf, "offer": "x" * 2_000_000})
    assert page.status_code == 413
    assert page.json()["status"] == 413


def test_json_body_on_form_route(client: TestClient) -> None:
    _setup(client)
    page = client.post("/share", json={"id": [[[[[]]]]]})
    assert 400 <= page.status_code < 500


def test_unknown_share_is_problem_json(client: TestClient) -> None:
    page = client.get("/s/no-such-token")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("application/problem+json")
    body = page.json()
    assert set(body) >= {"type", "title", "status", "detail"}


def test_unknown_page_is_html(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "there is no page at this address" in page.text


def test_unknown_public_portfolio(client: TestClient) -> None:
    assert client.get("/p/nothing-here").status_code == 404


def test_pages_load_no_external_assets(client: TestClient) -> None:
    _setup(client)
    for path in (
        "/",
        "/receive",
        "/present",
        "/share",
        "/shares",
        "/backup",
        "/settings",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not re.search(r'(src|href)="https?://', page.text), path
        assert "default-src 'none'" in page.headers["content-security-policy"]


def test_backup_import_wrong_passphrase(client: TestClient) -> None:
    csrf = _setup(client)
    backup = client.post(
        "/backup/export",
        data={
            "csrf": csrf,
            "passphrase": "backup passphrase",
            "confirm": "backup passphrase",
        },
    )
    assert backup.status_code == 200
    assert backup.headers["content-disposition"].startswith("attachment")
    page = client.post(
        "/backup/import",
        data={"csrf": csrf, "passphrase": "not the one"},
        files={"file": ("backup.json", backup.content, "application/json")},
    )
    assert page.status_code == 401
    assert "nothing was imported" in page.text


def test_delete_wallet_needs_confirmation(client: TestClient) -> None:
    csrf = _setup(client)
    page = client.post(
        "/wallet/delete", data={"csrf": csrf, "passphrase": PASSPHRASE, "confirm": "no"}
    )
    assert page.status_code == 400
    page = client.post(
        "/wallet/delete",
        data={"csrf": csrf, "passphrase": PASSPHRASE, "confirm": "DELETE"},
    )
    assert page.url.path == "/setup"
