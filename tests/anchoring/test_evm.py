"""The EVM ledger against a real local node (anvil on 127.0.0.1, started by conftest)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vcwork.anchoring import (
    AnchorBatcher,
    AnchorChecker,
    EvmLedger,
    anchor_transaction_data,
)
from vcwork.anchoring.merkle import hash_children, hash_leaf
from vcwork.keys import Ed25519KeyPair

from .conftest import ANVIL_CHAIN_ID, FakeClock, free_loopback_port


@pytest.fixture(scope="module")
def accounts(web3: Any) -> list[str]:
    return list(web3.eth.accounts)


@pytest.fixture
def anchored_on_chain(
    database_url: str,
    web3: Any,
    accounts: list[str],
    clock: FakeClock,
    credentials: list[dict[str, Any]],
) -> tuple[AnchorBatcher, list[dict[str, Any]]]:
    batcher = AnchorBatcher(
        database_url, EvmLedger(web3, account=accounts[0]), clock=clock
    )
    for credential in credentials[:3]:
        batcher.add(credential)
    batcher.close_batch()
    return batcher, [batcher.receipt(c) for c in credentials[:3]]  # type: ignore[misc]


def _checker(web3: Any, issuer_key: Ed25519KeyPair, address: str) -> AnchorChecker:
    return AnchorChecker(
        evm_nodes={ANVIL_CHAIN_ID: web3},
        evm_accounts={issuer_key.controller: [f"eip155:{ANVIL_CHAIN_ID}:{address}"]},
    )


def test_commit_writes_root_as_transaction_data(web3: Any, accounts: list[str]) -> None:
    root = b"\x42" * 32
    record = EvmLedger(web3, account=accounts[0]).commit(
        batch_id="b1", batch_root=root, batch_size=1
    )

    transaction = web3.eth.get_transaction(record["transactionHash"])
    assert bytes(transaction["input"]) == anchor_transaction_data(root)
    assert record["chainId"] == ANVIL_CHAIN_ID
    assert record["from"] == accounts[0]
    assert record["blockNumber"] == transaction["blockNumber"]
    assert record["blockTime"].endswith("Z")


def test_evm_anchor_passes(
    web3: Any,
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored_on_chain
    check = _checker(web3, issuer_key, accounts[0]).check(credentials[1], receipts[1])
    assert check.outcome == "passed", check.detail
    assert f"chain {ANVIL_CHAIN_ID} transaction" in check.detail


def test_evm_wrong_sender_fails(
    web3: Any,
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored_on_chain
    check = _checker(web3, issuer_key, accounts[1]).check(credentials[0], receipts[0])
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.from"


def test_evm_tampered_root_fails(
    web3: Any,
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored_on_chain
    receipt = copy.deepcopy(receipts[0])
    leaf = hash_leaf(bytes.fromhex(receipt["credentialDigest"]))
    sibling = hash_leaf(b"forged")
    receipt["batch"].update(
        leafIndex=0,
        treeSize=2,
        inclusionPath=[sibling.hex()],
        rootHash=hash_children(leaf, sibling).hex(),
    )
    check = _checker(web3, issuer_key, accounts[0]).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "batch.rootHash"


def test_evm_tampered_credential_fails(
    web3: Any,
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored_on_chain
    tampered = copy.deepcopy(credentials[0])
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    check = _checker(web3, issuer_key, accounts[0]).check(tampered, receipts[0])
    assert check.outcome == "failed"
    assert check.problems[0].property == "credentialDigest"


def test_evm_unknown_transaction_fails(
    web3: Any,
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    _, receipts = anchored_on_chain
    receipt = copy.deepcopy(receipts[0])
    receipt["ledger"]["transactionHash"] = "0x" + "ab" * 32
    check = _checker(web3, issuer_key, accounts[0]).check(credentials[0], receipt)
    assert check.outcome == "failed"
    assert check.problems[0].property == "ledger.transactionHash"


def test_evm_unreachable_node_is_not_checked(
    accounts: list[str],
    anchored_on_chain: Any,
    credentials: list[dict[str, Any]],
    issuer_key: Ed25519KeyPair,
) -> None:
    from web3 import Web3

    _, receipts = anchored_on_chain
    # A loopback port that nothing listens on.
    closed = Web3(
        Web3.HTTPProvider(
            f"http://127.0.0.1:{free_loopback_port()}", request_kwargs={"timeout": 5}
        )
    )
    check = _checker(closed, issuer_key, accounts[0]).check(credentials[0], receipts[0])
    assert check.outcome == "not_checked"
    assert "could not be reached" in check.detail


def test_evm_undeclared_issuer_is_not_checked(
    web3: Any, anchored_on_chain: Any, credentials: list[dict[str, Any]]
) -> None:
    _, receipts = anchored_on_chain
    checker = AnchorChecker(evm_nodes={ANVIL_CHAIN_ID: web3}, evm_accounts={})
    check = checker.check(credentials[0], receipts[0])
    assert check.outcome == "not_checked"
    assert "declares no EVM address" in check.detail


def test_local_account_signs_transaction(web3: Any, accounts: list[str]) -> None:
    from eth_account import Account

    local = Account.create()
    funding = web3.eth.send_transaction(
        {"from": accounts[0], "to": local.address, "value": web3.to_wei(1, "ether")}
    )
    web3.eth.wait_for_transaction_receipt(funding, timeout=30)

    record = EvmLedger(web3, account=local).commit(
        batch_id="b2", batch_root=b"\x01" * 32, batch_size=1
    )

    assert record["from"] == local.address
    assert web3.eth.get_transaction(record["transactionHash"])["from"] == local.address
