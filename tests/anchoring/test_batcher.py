"""Batching policy and crash recovery: no credential is lost between signing and anchoring."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from vcwork.anchoring import (
    AnchorBatcher,
    AnchorLog,
    AnchorReceipt,
    LedgerRetrievalError,
)
from vcwork.errors import MalformedValueError
from vcwork.keys import Ed25519KeyPair

from .conftest import FakeClock, make_credential


class FailingLedger:
    """A ledger that is down: every write raises, as an unreachable node would."""

    def __init__(self) -> None:
        self.attempts = 0

    def commit(
        self, *, batch_id: str, batch_root: bytes, batch_size: int
    ) -> dict[str, Any]:
        self.attempts += 1
        raise LedgerRetrievalError("the ledger is down")


def _batcher(
    database_url: str, ledger: Any, clock: FakeClock, **options: Any
) -> AnchorBatcher:
    options.setdefault("max_batch_size", 4)
    options.setdefault("max_batch_age", timedelta(minutes=10))
    return AnchorBatcher(database_url, ledger, clock=clock, **options)


def test_batch_closes_by_size(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    for credential in credentials[:5]:
        batcher.add(credential)

    closed = batcher.close_due()

    assert [b.size for b in closed] == [4]
    assert batcher.pending_count == 1
    assert anchor_log.tree_size == 1


def test_batch_closes_by_age(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    batcher.add(credentials[0])
    clock.advance(timedelta(minutes=9))
    batcher.add(credentials[1])
    assert batcher.close_due() == []

    clock.advance(timedelta(minutes=1))
    closed = batcher.close_due()

    assert [b.size for b in closed] == [2]
    assert batcher.pending_count == 0


def test_one_ledger_write_per_batch(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock, max_batch_size=100)
    for credential in credentials:
        batcher.add(credential)
    batcher.close_batch()
    assert anchor_log.tree_size == 1


def test_adding_twice_is_a_no_op(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    assert batcher.add(credentials[0]) == batcher.add(credentials[0])
    assert batcher.pending_count == 1


def test_other_credential_with_same_id_raises(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    batcher.add(credentials[0])
    changed = {**credentials[0], "name": "changed"}
    with pytest.raises(MalformedValueError, match="already queued"):
        batcher.add(changed)


def test_receipts_match_batch(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock, max_batch_size=100)
    for credential in credentials:
        batcher.add(credential)
    batch = batcher.close_batch()
    assert batch is not None

    bulk = list(batcher.receipts(batch.id))
    single = [batcher.receipt(credential) for credential in credentials]

    assert bulk == single
    parsed = AnchorReceipt.from_json(bulk[3])
    assert parsed.leaf_index == 3
    assert parsed.tree_size == len(credentials)
    assert parsed.root_hash == batch.root_hash
    assert parsed.credential_id == credentials[3]["id"]


def test_receipt_is_none_while_pending(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    batcher.add(credentials[0])
    assert batcher.receipt(credentials[0]) is None
    assert batcher.state_of(credentials[0]) == "pending"


def test_crash_before_close_anchors_on_restart(
    database_url: str,
    issuer_key: Ed25519KeyPair,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    # The process signs and queues three credentials, then dies before the
    # batch is due.
    first = _batcher(
        database_url, AnchorLog(database_url, key_pair=issuer_key, clock=clock), clock
    )
    for credential in credentials[:3]:
        first.add(credential)
    del first

    clock.advance(timedelta(hours=1))
    restarted = _batcher(
        database_url, AnchorLog(database_url, key_pair=issuer_key, clock=clock), clock
    )
    closed = restarted.close_due()

    assert [b.size for b in closed] == [3]
    for credential in credentials[:3]:
        assert restarted.state_of(credential) == "anchored"


def test_crash_between_seal_and_ledger_write_is_resumed(
    database_url: str,
    issuer_key: Ed25519KeyPair,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    down = FailingLedger()
    batcher = _batcher(database_url, down, clock)
    for credential in credentials[:2]:
        batcher.add(credential)
    with pytest.raises(LedgerRetrievalError):
        batcher.close_batch()
    sealed = batcher.batches()
    assert [b.state for b in sealed] == ["sealed"]
    assert batcher.state_of(credentials[0]) == "sealed"
    assert batcher.receipt(credentials[0]) is None

    log = AnchorLog(database_url, key_pair=issuer_key, clock=clock)
    restarted = _batcher(database_url, log, clock)
    resumed = restarted.close_due()

    assert [(b.id, b.state) for b in resumed] == [(sealed[0].id, "anchored")]
    assert resumed[0].root_hash == sealed[0].root_hash
    assert log.tree_size == 1
    assert restarted.receipt(credentials[1]) is not None


def test_nothing_waiting_closes_nothing(
    database_url: str, anchor_log: AnchorLog, clock: FakeClock
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    assert batcher.close_batch() is None
    assert batcher.close_due() == []


def test_unknown_credential_receipt_raises(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    issuer_key: Ed25519KeyPair,
) -> None:
    batcher = _batcher(database_url, anchor_log, clock)
    with pytest.raises(MalformedValueError, match="never queued"):
        batcher.receipt(make_credential(issuer_key, 99))


def test_invalid_batch_size_raises(database_url: str, anchor_log: AnchorLog) -> None:
    with pytest.raises(MalformedValueError, match="max_batch_size must be at least 1"):
        AnchorBatcher(database_url, anchor_log, max_batch_size=0)


def test_add_many_skips_queued_credentials(
    database_url: str,
    anchor_log: AnchorLog,
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> None:
    batcher = _batcher(database_url, anchor_log, clock, max_batch_size=100)
    batcher.add(credentials[0])
    assert batcher.add_many([*credentials, credentials[1]]) == len(credentials) - 1
    assert batcher.pending_count == len(credentials)
