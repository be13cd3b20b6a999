"""Ledger anchoring in the issuer agent, over real HTTP on loopback.

Each flow issues, closes the batch, fetches the receipt and the log over HTTP
and verifies with the library's checker. Other tests cover restarts, crashes
between steps, the close lease and the cache headers of the public routes.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from typing import Any

import httpx
import pytest
from issuer_agent.anchoring import AnchorService, CloseBusyError
from issuer_agent.cli import cli
from issuer_agent.service import IssuerService
from issuer_agent_helpers import (
    RunningAgent,
    WalletClient,
    enrol_and_record,
    resolver,
    start_agent,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from typer.testing import CliRunner

from issuer_agent import Settings
from vcwork.anchoring import AnchorChecker
from vcwork.anchoring.http_client import (
    HttpLogClients,
    HttpReceiptLookup,
    HttpTransparencyLogClient,
)
from vcwork.credentials import verify_credential
from vcwork.did import DidResolver, create_did_key

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def agent_settings(agent_settings: Settings) -> Settings:
    # Batches close only on a test's request, unless the test turns the loop on.
    return dataclasses.replace(agent_settings, anchor_close_interval=0)


def _issue(agent: RunningAgent) -> dict[str, Any]:
    _, holder = create_did_key()
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": holder},
        }
    }
    with agent.client() as client:
        response = client.post("/credentials/issue", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["verifiableCredential"])


def _close(agent: RunningAgent) -> list[dict[str, Any]]:
    with agent.client() as client:
        response = client.post("/anchor/batches/close")
    assert response.status_code == 200, response.text
    return list(response.json()["closed"])


def _checker(agent: RunningAgent, did_resolver: DidResolver) -> AnchorChecker:
    return AnchorChecker(
        receipts=HttpReceiptLookup(allow_http_loopback=True),
        logs={
            _did(agent): HttpTransparencyLogClient(
                agent.base_url, allow_http_loopback=True
            )
        },
        resolver=did_resolver,
    )


def _did(agent: RunningAgent) -> str:
    return "did:web:localhost%3A" + str(agent.settings.port)


def _anchor_outcome(result: Any) -> str:
    check = result.check("anchor")
    assert check is not None
    return str(check.outcome)


def _wait_for_receipt(agent: RunningAgent, credential_id: str) -> httpx.Response:
    # Poll until the background task has closed the batch. The deadline only
    # keeps a broken task from hanging the test run.
    deadline = time.monotonic() + 30
    with agent.client(staff=False) as client:
        while True:
            response = client.get(f"/anchor/receipts/{credential_id}")
            if response.status_code != 404 or time.monotonic() > deadline:
                return response
            time.sleep(0.05)


def test_issued_credential_anchor_verifies(agent: RunningAgent) -> None:
    credential = _issue(agent)
    with agent.client(staff=False) as client:
        pending = client.get(f"/anchor/receipts/{credential['id']}")
    closed = _close(agent)
    did_resolver = resolver()
    result = verify_credential(
        credential,
        resolver=did_resolver,
        anchor_checker=_checker(agent, did_resolver),
    )
    assert pending.status_code == 404
    assert pending.headers["cache-control"] == "no-store"
    assert "waits for its anchor batch" in pending.json()["detail"]
    assert len(closed) == 1
    assert closed[0]["state"] == "anchored"
    assert _anchor_outcome(result) == "passed", result.check("anchor")
    assert result.verified, result.problems


def test_log_clients_found_from_did(agent: RunningAgent) -> None:
    credential = _issue(agent)
    _close(agent)
    did_resolver = resolver()
    checker = AnchorChecker(
        receipts=HttpReceiptLookup(allow_http_loopback=True),
        logs=HttpLogClients(allow_http_loopback=True),
        resolver=did_resolver,
    )
    check = checker(credential)
    assert check.outcome == "passed", check.detail


def test_tampered_credential_fails_anchor(agent: RunningAgent) -> None:
    credential = _issue(agent)
    _close(agent)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["id"] = create_did_key()[1]
    did_resolver = resolver()
    checker = _checker(agent, did_resolver)
    # verify_credential skips the anchor check once the proof fails, so the
    # checker runs on its own to show what the anchor alone detects.
    anchor = checker(tampered)
    result = verify_credential(tampered, resolver=did_resolver, anchor_checker=checker)
    assert anchor.outcome == "failed", anchor.detail
    assert anchor.problems[0].property == "credentialDigest"
    assert not result.verified


def test_stopped_agent_gives_anchor_not_checked(agent: RunningAgent) -> None:
    credential = _issue(agent)
    _close(agent)
    did_resolver = resolver()
    checker = _checker(agent, did_resolver)
    before = verify_credential(
        credential, resolver=did_resolver, anchor_checker=checker
    )
    agent.stop()
    # The resolver keeps the DID document it fetched, so the signature can
    # still be checked while the agent is down.
    after = verify_credential(
        credential, resolver=did_resolver, anchor_checker=_checker(agent, did_resolver)
    )
    proof = after.check("proof")
    assert _anchor_outcome(before) == "passed"
    assert proof is not None
    assert proof.outcome == "passed"
    assert _anchor_outcome(after) == "not_checked"
    assert after.verified


def test_openid4vci_delivery_is_anchored(agent: RunningAgent) -> None:
    wallet = WalletClient()
    with agent.client() as client:
        credential_id = enrol_and_record(client)["credential"]["id"]
        undelivered = client.get(f"/anchor/receipts/{credential_id}")
        first = client.post(f"/credentials/{credential_id}/offers", json={}).json()
        second = client.post(f"/credentials/{credential_id}/offers", json={}).json()
        third = client.post(f"/credentials/{credential_id}/offers", json={}).json()
    delivered = wallet.redeem(first["link"], tx_code=first["txCode"])
    again = wallet.redeem(second["link"], tx_code=second["txCode"])
    with pytest.raises(httpx.HTTPStatusError) as other_wallet:
        WalletClient().redeem(third["link"], tx_code=third["txCode"])
    _close(agent)
    did_resolver = resolver()
    result = verify_credential(
        delivered, resolver=did_resolver, anchor_checker=_checker(agent, did_resolver)
    )
    assert undelivered.status_code == 404
    assert "has not delivered this one" in undelivered.json()["detail"]
    assert again == delivered
    assert other_wallet.value.response.json()["error"] == "credential_request_denied"
    assert _anchor_outcome(result) == "passed", result.check("anchor")
    assert result.verified, result.problems


def test_queued_credential_anchored_after_restart(agent: RunningAgent) -> None:
    credential = _issue(agent)
    agent.stop()
    settings = dataclasses.replace(
        agent.settings, anchor_close_interval=0.05, anchor_batch_age=0
    )
    again = start_agent(settings, agent.api_key)
    try:
        response = _wait_for_receipt(again, credential["id"])
        did_resolver = resolver()
        result = verify_credential(
            credential,
            resolver=did_resolver,
            anchor_checker=_checker(again, did_resolver),
        )
    finally:
        again.stop()
    assert response.status_code == 200, response.text
    assert response.json()["credentialId"] == credential["id"]
    assert _anchor_outcome(result) == "passed", result.check("anchor")


def test_crash_before_batcher_add_repaired(
    agent: RunningAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent.stop()
    service = IssuerService(agent.settings)
    try:

        def crash() -> int:
            raise SQLAlchemyError("simulated crash after the issuance commit")

        monkeypatch.setattr(service.anchoring, "flush_queue", crash)
        _, holder = create_did_key()
        credential = service.issue_vc_api(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": holder},
            },
            None,
            actor="test",
        )
        pending_in_batcher = service.anchoring.pending_count
    finally:
        service.close()
    settings = dataclasses.replace(
        agent.settings, anchor_close_interval=0.05, anchor_batch_age=0
    )
    again = start_agent(settings, agent.api_key)
    try:
        response = _wait_for_receipt(again, credential["id"])
    finally:
        again.stop()
    assert pending_in_batcher == 0
    assert response.status_code == 200, response.text


def test_failed_ledger_write_resumed(
    agent: RunningAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = _issue(agent)
    agent.stop()
    service = IssuerService(agent.settings)
    try:
        from vcwork.anchoring import AnchorLog

        original = AnchorLog.commit

        def fail(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
            raise SQLAlchemyError("simulated ledger failure")

        monkeypatch.setattr(AnchorLog, "commit", fail)
        with pytest.raises(SQLAlchemyError):
            service.anchoring.close_batches(due_only=False)
        states = [b.state for b in service.anchoring.batcher.batches()]
        monkeypatch.setattr(AnchorLog, "commit", original)
        resumed = service.anchoring.close_batches(due_only=True)
        receipt = service.anchoring.receipt(credential["id"])
    finally:
        service.close()
    assert states == ["sealed"]
    assert [b.state for b in resumed] == ["anchored"]
    assert receipt["credentialId"] == credential["id"]


def test_close_lease_admits_one_closer(agent: RunningAgent) -> None:
    _issue(agent)
    other = IssuerService(agent.settings)
    try:
        token = other.anchoring._acquire_lease()
        assert token is not None
        with agent.client() as client:
            busy = client.post("/anchor/batches/close")
        with pytest.raises(CloseBusyError):
            other.anchoring.close_batches(due_only=False)
        other.anchoring._release_lease(token)
        closed = other.anchoring.close_batches(due_only=False)
    finally:
        other.close()
    assert busy.status_code == 409
    assert len(closed) == 1


def test_concurrent_closers_anchor_each_batch_once(agent: RunningAgent) -> None:
    services = [IssuerService(agent.settings) for _ in range(2)]
    closed: list[str] = []
    errors: list[BaseException] = []

    def close_repeatedly(anchoring: AnchorService) -> None:
        for _ in range(15):
            try:
                closed.extend(b.id for b in anchoring.close_batches(due_only=False))
            except CloseBusyError:
                pass
            except BaseException as e:  # reported by the assert below
                errors.append(e)

    try:
        threads = [
            threading.Thread(target=close_repeatedly, args=(s.anchoring,))
            for s in services
        ]
        for thread in threads:
            thread.start()
        for _ in range(6):
            _issue(agent)
        for thread in threads:
            thread.join(timeout=120)
        closed.extend(b.id for b in services[0].anchoring.close_batches(due_only=False))
        batches = services[0].anchoring.batcher.batches()
        tree_size = services[0].anchoring.log.tree_size
        log_batch_ids = [
            services[0].anchoring.log.get_entry(i)["batchId"] for i in range(tree_size)
        ]
    finally:
        for service in services:
            service.close()
    assert errors == []
    assert sorted(closed) == sorted(b.id for b in batches)
    assert all(b.state == "anchored" for b in batches)
    assert sum(b.size for b in batches) == 6
    assert sorted(log_batch_ids) == sorted(b.id for b in batches)


def test_log_routes_have_caching_headers(agent: RunningAgent) -> None:
    _issue(agent)
    _close(agent)
    _issue(agent)
    _close(agent)
    with agent.client(staff=False) as client:
        latest = client.get("/anchor/log/tree-head")
        cached = client.get(
            "/anchor/log/tree-head", headers={"If-None-Match": latest.headers["etag"]}
        )
        at_size = client.get("/anchor/log/tree-head/1")
        entry = client.get("/anchor/log/entries/1")
        inclusion = client.get("/anchor/log/entries/0/inclusion-proof?tree_size=2")
        inclusion_latest = client.get("/anchor/log/entries/0/inclusion-proof")
        consistency = client.get("/anchor/log/consistency-proof?first=1&second=2")
        missing_size = client.get("/anchor/log/tree-head/99")
        missing_entry = client.get("/anchor/log/entries/5/inclusion-proof")
        negative = client.get("/anchor/log/entries/-1")
        backwards = client.get("/anchor/log/consistency-proof?first=2&second=1")

    assert latest.status_code == 200
    assert latest.json()["treeSize"] == 2
    assert latest.headers["cache-control"] == "public, max-age=60"
    assert cached.status_code == 304

    assert at_size.json()["treeSize"] == 1
    assert "immutable" in at_size.headers["cache-control"]
    assert entry.json()["batchSize"] == 1
    assert "immutable" in entry.headers["cache-control"]
    assert inclusion.json()["treeSize"] == 2
    assert "immutable" in inclusion.headers["cache-control"]
    assert inclusion_latest.headers["cache-control"] == "public, max-age=60"
    assert consistency.json()["secondSize"] == 2
    assert "immutable" in consistency.headers["cache-control"]

    assert missing_size.status_code == 404
    assert missing_entry.status_code == 404
    assert negative.status_code == 422
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"


def test_empty_log_tree_head_is_404(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        response = client.get("/anchor/log/tree-head")
    assert response.status_code == 404
    assert "commit a batch first" in response.json()["detail"]


def test_close_and_batches_need_api_key(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        close = client.post("/anchor/batches/close")
        listing = client.get("/anchor/batches")
    assert close.status_code == 401
    assert listing.status_code == 401


def test_batches_listing_shows_pending(agent: RunningAgent) -> None:
    _issue(agent)
    with agent.client() as client:
        before = client.get("/anchor/batches").json()
        client.post("/anchor/batches/close")
        after = client.get("/anchor/batches").json()
    assert before["pending"] == 1
    assert before["batches"] == []
    assert after["pending"] == 0
    assert after["batches"][0]["state"] == "anchored"
    assert after["logId"] == _did(agent)


def test_anchor_close_command(agent: RunningAgent) -> None:
    credential = _issue(agent)
    settings = agent.settings
    arguments = [
        "anchor-close",
        "--data-dir",
        str(settings.data_dir),
        "--database-url",
        settings.resolved_database_url,
        "--public-base-url",
        settings.base_url,
    ]
    due = CliRunner().invoke(cli, [*arguments, "--due-only"])
    now = CliRunner().invoke(cli, arguments)
    with agent.client(staff=False) as client:
        receipt = client.get(f"/anchor/receipts/{credential['id']}")
    assert due.exit_code == 0, due.output
    assert '"closed": []' in due.output
    assert now.exit_code == 0, now.output
    assert '"state": "anchored"' in now.output
    assert receipt.status_code == 200


def test_log_tables_reject_update_and_delete(agent: RunningAgent) -> None:
    _issue(agent)
    _close(agent)
    service = IssuerService(agent.settings)
    try:
        engine = service.anchoring.engine
        for statement in (
            "UPDATE vcwork_anchor_log_tree_head SET tree_head = '{}'",
            "DELETE FROM vcwork_anchor_log_entry",
            "DELETE FROM vcwork_anchor_log_node",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(text(statement))
        with engine.connect() as connection:
            entries = connection.execute(
                text("SELECT count(*) FROM vcwork_anchor_log_entry")
            ).scalar()
    finally:
        service.close()
    assert entries == 1
