"""AnchorChecker on the embedded log: passes, names each tampering, and degrades honestly."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from vcwork.anchoring import (
    AnchorBatcher,
    AnchorChecker,
    AnchorLog,
    LedgerRetrievalError,
)
from vcwork.anchoring.merkle import hash_children, hash_leaf
from vcwork.anchoring.tree_head import SignedTreeHead
from vcwork.credentials import verify_credential
from vcwork.keys import Ed25519KeyPair

from .conftest import FakeClock, make_credential


class UnreachableLog:
    """A log client whose server refuses connections."""

    def get_tree_head(self) -> dict[str, Any]:
        raise LedgerRetrievalError("connection refused by the log server")

    def get_consistency_proof(
        self, first_size: int, second_size: int
    ) -> dict[str, Any]:
        raise LedgerRetrievalError("connection refused by the log server")


@pytest.fixture
def anchored(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> tuple[AnchorBatcher, list[dict[str, Any]]]:
    batcher = AnchorBatcher(database_url, anchor_log, max_batch_size=100, clock=clock)
    for credential in credentials:
        batcher.add(credential)
    batcher.close_batch()
    receipts = [batcher.receipt(c) for c in credentials]
    assert all(r is not None for r in receipts)
    return batcher, receipts  # type: ignore[return-value]


def _checker(
    log: Any, issuer_key: Ed25519KeyPair, batcher: AnchorBatcher | None = None
) -> AnchorChecker:
    return AnchorChecker(
        receipts=batcher.receipt if batcher is not None else None,
        logs={issuer_key.controller: log},
    )


def test_anchor_passes(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    batcher, _ = anchored
    check = _checker(anchor_log, issuer_key, batcher)(credentials[2])
    assert check.outcome == "passed", check.detail
    assert "leaf 2 of batch" in check.detail
    assert issuer_key.id in check.detail


def test_verify_credential_runs_anchor_check(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    batcher, _ = anchored
    result = verify_credential(
        credentials[0], anchor_checker=_checker(anchor_log, issuer_key, batcher)
    )
    assert result.verified
    anchor = result.check("anchor")
    assert anchor is not None
    assert anchor.outcome == "passed"


def test_tampered_credential_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    tampered = copy.deepcopy(credentials[0])
    tampered["credentialSubject"]["name"] = "Someone Else"
    check = _checker(anchor_log, issuer_key).check(tampered, receipts[0])
    assert check.outcome == "failed"
    assert check.problems[0].property == "credentialDigest"
    assert "changed after it was anchored" in check.detail


def test_tampered_path_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    path = receipt["batch"]["inclusionPath"]
    path[0] = "00" * 32
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "batch.inclusionPath"


def test_tampered_root_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    # A forger builds a batch of their own around the credential: the path and
    # root agree with each other, but the log never committed that root.
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    leaf = hash_leaf(bytes.fromhex(receipt["credentialDigest"]))
    sibling = hash_leaf(b"forged")
    receipt["batch"].update(
        leafIndex=0,
        treeSize=2,
        inclusionPath=[sibling.hex()],
        rootHash=hash_children(leaf, sibling).hex(),
    )
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.entry.batchRoot"
    assert "not written to the log" in check.detail


def test_tampered_log_entry_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    receipt["ledger"]["entry"]["committedAt"] = "2020-01-01T00:00:00Z"  # back-dated
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.inclusionPath"


def test_tree_head_by_other_signer_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
    other_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    original = SignedTreeHead.from_json(receipt["ledger"]["treeHead"])
    forged = SignedTreeHead.sign(
        log_id=original.log_id,
        tree_size=original.tree_size,
        root_hash=original.root_hash,
        timestamp=original_time(original),
        key_pair=other_key,
    )
    receipt["ledger"]["treeHead"] = forged.to_json()
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.treeHead.verificationMethod"


def test_tree_head_signature_tampered_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    receipt["ledger"]["treeHead"]["timestamp"] = "2020-01-01T00:00:00Z"
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.treeHead.signatureValue"


def test_rewritten_log_fails(
    database_url: str,
    tmp_path: Path,
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
    clock: FakeClock,
) -> None:
    # The issuer, holding the key, rewrites history: it drops the log and
    # rebuilds it without the batch, then re-signs new tree heads.
    _, receipts = anchored
    connection = sqlite3.connect(tmp_path / "anchors.db")
    for table in ("entry", "node", "tree_head"):
        for operation in ("delete", "update"):
            connection.execute(f"DROP TRIGGER vcwork_anchor_log_{table}_no_{operation}")
        connection.execute(f"DELETE FROM vcwork_anchor_log_{table}")
    connection.commit()
    connection.close()
    rewritten = AnchorLog(database_url, key_pair=issuer_key, clock=clock)
    for number in range(3):
        rewritten.commit(
            batch_id=f"other-{number}", batch_root=bytes([number]) * 32, batch_size=1
        )

    check = _checker(rewritten, issuer_key).check(credentials[0], receipts[0])

    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.treeHead"
    assert "was rewritten" in check.detail


def test_rolled_back_log_fails(
    database_url: str,
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    anchor_log.commit(batch_id="later", batch_root=b"\x07" * 32, batch_size=1)
    checker = _checker(anchor_log, issuer_key)
    assert checker.check(credentials[0], receipts[0]).outcome == "passed"

    class RolledBack:
        def get_tree_head(self) -> dict[str, Any]:
            return anchor_log.get_tree_head(1)

        def get_consistency_proof(self, first: int, second: int) -> dict[str, Any]:
            return anchor_log.get_consistency_proof(first, second)

    checker._logs = {issuer_key.controller: RolledBack()}  # the same verifier, later
    check = checker.check(credentials[0], receipts[0])
    assert check.outcome == "failed"
    assert "rolled back" in check.detail


def test_unreachable_log_is_not_checked(
    anchored: Any, credentials: list[dict[str, Any]], issuer_key: Ed25519KeyPair
) -> None:
    batcher, _ = anchored
    checker = _checker(UnreachableLog(), issuer_key, batcher)
    result = verify_credential(credentials[0], anchor_checker=checker)

    anchor = result.check("anchor")
    assert anchor is not None
    assert anchor.outcome == "not_checked"
    assert "could not be reached" in anchor.detail
    proof = result.check("proof")
    assert proof is not None
    assert proof.outcome == "passed"
    assert result.verified


def test_unconfigured_log_is_not_checked(
    anchored: Any, credentials: list[dict[str, Any]]
) -> None:
    _, receipts = anchored
    check = AnchorChecker().check(credentials[0], receipts[0])
    assert check.outcome == "not_checked"
    assert "no client is configured" in check.detail


def test_missing_receipt_is_not_checked(
    anchor_log: AnchorLog, issuer_key: Ed25519KeyPair
) -> None:
    checker = AnchorChecker(
        receipts=lambda credential: None, logs={issuer_key.controller: anchor_log}
    )
    check = checker(make_credential(issuer_key, 42))
    assert check.outcome == "not_checked"
    assert "no anchor receipt" in check.detail


def test_malformed_receipt_fails(
    anchor_log: AnchorLog,
    anchored: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored
    receipt = copy.deepcopy(receipts[0])
    receipt["batch"]["leafIndex"] = "three"
    check = _checker(anchor_log, issuer_key).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "batch.leafIndex"
    assert check.problems[0].code == "MALFORMED_VALUE_ERROR"


def original_time(tree_head: SignedTreeHead) -> Any:
    from vcwork.dates import parse_datetime

    return parse_datetime(tree_head.timestamp, property="timestamp")
