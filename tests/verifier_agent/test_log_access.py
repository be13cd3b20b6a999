"""The verification log links holders' results, so only the verifier's machine sees it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from verifier_agent import Settings, create_app


def test_log_refused_to_remote_client(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, public_base_url="http://127.0.0.1:9"))
    remote = TestClient(app, client=("203.0.113.7", 40000))
    response = remote.get("/log")
    assert response.status_code == 403
    assert "own machine" in response.text


def test_log_shown_on_loopback(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, public_base_url="http://127.0.0.1:9"))
    local = TestClient(app, client=("127.0.0.1", 40000))
    assert local.get("/log").status_code == 200
