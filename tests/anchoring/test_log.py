"""The embedded transparency log: signed tree heads, proofs and append-only storage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vcwork.anchoring import (
    AnchorLog,
    SignedTreeHead,
    verify_consistency,
    verify_inclusion,
)
from vcwork.anchoring.log import log_entry_leaf_input
from vcwork.anchoring.merkle import hash_leaf
from vcwork.errors import MalformedValueError
from vcwork.keys import Ed25519KeyPair

from .conftest import FakeClock


def _commit(log: AnchorLog, number: int) -> dict:
    return log.commit(
        batch_id=f"batch-{number}", batch_root=bytes([number]) * 32, batch_size=number
    )


def test_commit_signs_tree_head(
    anchor_log: AnchorLog, issuer_key: Ed25519KeyPair
) -> None:
    anchor = _commit(anchor_log, 1)
    tree_head = SignedTreeHead.from_json(anchor["treeHead"])

    assert tree_head.tree_size == 1
    assert tree_head.log_id == issuer_key.controller
    assert tree_head.verification_method == issuer_key.id
    assert tree_head.verify_signature(issuer_key.public)
    assert anchor["entry"]["batchRoot"] == "01" * 32
    assert anchor["entry"]["committedAt"] == "2026-05-01T09:00:00Z"


def test_tree_head_signature_fails_for_other_key(
    anchor_log: AnchorLog, other_key: Ed25519KeyPair
) -> None:
    tree_head = SignedTreeHead.from_json(_commit(anchor_log, 1)["treeHead"])
    assert not tree_head.verify_signature(other_key.public)


def test_commit_is_idempotent_per_batch(anchor_log: AnchorLog) -> None:
    first = _commit(anchor_log, 1)
    again = _commit(anchor_log, 1)
    assert again == first
    assert anchor_log.tree_size == 1


def test_inclusion_and_consistency_proofs(anchor_log: AnchorLog) -> None:
    heads = [
        SignedTreeHead.from_json(_commit(anchor_log, n)["treeHead"])
        for n in range(1, 12)
    ]
    latest = SignedTreeHead.from_json(anchor_log.get_tree_head())
    assert latest.tree_size == 11
    assert anchor_log.root_hash() == latest.root_hash

    for index in range(11):
        leaf = hash_leaf(log_entry_leaf_input(anchor_log.get_entry(index)))
        proof = anchor_log.get_inclusion_proof(index)
        path = [bytes.fromhex(x) for x in proof["inclusionPath"]]
        assert verify_inclusion(index, 11, leaf, path, latest.root_hash), index

    for head in heads:
        proof = anchor_log.get_consistency_proof(head.tree_size)
        path = [bytes.fromhex(x) for x in proof["consistencyPath"]]
        assert verify_consistency(
            head.tree_size, 11, head.root_hash, latest.root_hash, path
        ), head.tree_size


def test_reopened_log_keeps_history(
    database_url: str, issuer_key: Ed25519KeyPair, clock: FakeClock
) -> None:
    log = AnchorLog(database_url, key_pair=issuer_key, clock=clock)
    _commit(log, 1)
    _commit(log, 2)
    reopened = AnchorLog(database_url)
    assert reopened.log_id == issuer_key.controller
    assert reopened.tree_size == 2
    assert reopened.get_tree_head() == log.get_tree_head()


def test_reopen_with_other_log_id_raises(
    database_url: str, issuer_key: Ed25519KeyPair
) -> None:
    AnchorLog(database_url, key_pair=issuer_key)
    with pytest.raises(MalformedValueError, match="contains the anchor log"):
        AnchorLog(database_url, log_id="did:example:other")


def test_append_without_key_raises(
    database_url: str, issuer_key: Ed25519KeyPair
) -> None:
    AnchorLog(database_url, key_pair=issuer_key)
    read_only = AnchorLog(database_url)
    with pytest.raises(MalformedValueError, match="needs the issuer's key pair"):
        _commit(read_only, 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE vcwork_anchor_log_entry SET leaf_input = '{}'",
        "DELETE FROM vcwork_anchor_log_entry",
        "UPDATE vcwork_anchor_log_node SET hash = x'00'",
        "DELETE FROM vcwork_anchor_log_tree_head",
    ],
)
def test_log_tables_reject_rewrites(
    anchor_log: AnchorLog, tmp_path: Path, statement: str
) -> None:
    _commit(anchor_log, 1)
    connection = sqlite3.connect(tmp_path / "anchors.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute(statement)
    connection.close()


def test_missing_tree_head_raises(anchor_log: AnchorLog) -> None:
    with pytest.raises(MalformedValueError, match="has no tree head yet"):
        anchor_log.get_tree_head()


def test_proof_beyond_log_size_raises(anchor_log: AnchorLog) -> None:
    _commit(anchor_log, 1)
    with pytest.raises(MalformedValueError, match="tree size 5 is outside"):
        anchor_log.get_consistency_proof(1, 5)
