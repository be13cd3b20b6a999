"""The EVM ledger: a batch root written as the data of a transaction.

The issuer's account sends a zero-value transaction to itself whose data is
``ANCHOR_DATA_PREFIX`` followed by the 32-byte batch root. The receipt
records the chain id, transaction hash, block number, block hash, block time
and sender. A verifier reads the transaction, its receipt and its block from
a node of its own choice and checks the data, the success status, the block
and that the sender is an address the issuer declared.

web3.py is imported only when this ledger is used; ``web3`` objects are
passed in, so the caller chooses the node and its transport.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..dates import format_datetime
from ..errors import MalformedValueError
from ._encoding import require_member
from ._errors import AnchorVerificationError, LedgerRetrievalError

__all__ = [
    "ANCHOR_DATA_PREFIX",
    "EVM_TRANSACTION",
    "EvmLedger",
    "anchor_transaction_data",
    "verify_evm_anchor",
]

logger = logging.getLogger(__name__)

EVM_TRANSACTION = "EvmTransaction"
"""The ``ledger.type`` of a receipt anchored in an EVM transaction."""

ANCHOR_DATA_PREFIX = b"vcwork-anchor-v1:"
"""Marks the transaction data as a vcwork batch root (17 ASCII bytes)."""


def anchor_transaction_data(batch_root: bytes) -> bytes:
    """Return the transaction data that commits ``batch_root``."""
    return ANCHOR_DATA_PREFIX + batch_root


class EvmLedger:
    """Writes batch roots to an Ethereum-compatible chain through web3.py.

    ``web3`` is a connected ``web3.Web3``. ``account`` is either an address
    the node can sign for (a development node's unlocked account) or an
    ``eth_account`` ``LocalAccount`` whose key signs locally. The ledger
    waits up to ``timeout`` seconds for the transaction to be mined.
    """

    ledger_type = EVM_TRANSACTION

    def __init__(self, web3: Any, *, account: Any, timeout: float = 120.0) -> None:
        self._web3 = web3
        self._account = account
        self._timeout = timeout
        address = (
            account if isinstance(account, str) else getattr(account, "address", None)
        )
        if not isinstance(address, str):
            raise MalformedValueError(
                "account must be an address string or an eth_account LocalAccount",
                property="account",
            )
        self.address = web3.to_checksum_address(address)

    def commit(
        self, *, batch_id: str, batch_root: bytes, batch_size: int
    ) -> dict[str, Any]:
        """Send the anchor transaction, wait for it to be mined and return the record.

        Raises :class:`LedgerRetrievalError` when the node cannot be reached or
        the transaction is not mined in time, and
        :class:`AnchorVerificationError` when it is mined but reverted.
        """
        # NOTE: a crash after sending and before the batch is marked anchored
        # makes resume() send a second transaction with the same root. Both
        # are valid anchors, and the receipt names the second.
        from web3.exceptions import TimeExhausted, Web3Exception

        eth = self._web3.eth
        transaction: dict[str, Any] = {
            "from": self.address,
            "to": self.address,
            "value": 0,
            "data": anchor_transaction_data(batch_root),
        }
        try:
            if isinstance(self._account, str):
                tx_hash = eth.send_transaction(transaction)
            else:
                tx_hash = eth.send_raw_transaction(self._sign(transaction))
            receipt = eth.wait_for_transaction_receipt(
                tx_hash, timeout=self._timeout, poll_latency=0.1
            )
            block = eth.get_block(receipt["blockNumber"])
            chain_id = int(eth.chain_id)
        except TimeExhausted as e:
            raise LedgerRetrievalError(
                f"the anchor transaction for batch {batch_id} was not mined within "
                f"{self._timeout} seconds"
            ) from e
        except (OSError, Web3Exception) as e:
            raise LedgerRetrievalError(
                f"the EVM node could not anchor batch {batch_id}: {e}"
            ) from e
        if receipt["status"] != 1:
            raise AnchorVerificationError(
                f"the anchor transaction {tx_hash.hex()} for batch {batch_id} reverted",
                property="ledger.transactionHash",
            )
        logger.debug(
            "anchored batch %s in transaction %s, block %d",
            batch_id,
            receipt["transactionHash"].to_0x_hex(),
            receipt["blockNumber"],
        )
        return {
            "type": EVM_TRANSACTION,
            "chainId": chain_id,
            "transactionHash": receipt["transactionHash"].to_0x_hex(),
            "blockNumber": int(receipt["blockNumber"]),
            "blockHash": receipt["blockHash"].to_0x_hex(),
            "blockTime": _block_time(block),
            "from": self.address,
        }

    def _sign(self, transaction: dict[str, Any]) -> bytes:
        eth = self._web3.eth
        transaction = {
            **transaction,
            "nonce": eth.get_transaction_count(self.address, "pending"),
            "chainId": eth.chain_id,
            "gasPrice": eth.gas_price,
        }
        transaction["gas"] = eth.estimate_gas(transaction)
        signed = self._account.sign_transaction(transaction)
        return bytes(signed.raw_transaction)


def _block_time(block: Any) -> str:
    return format_datetime(datetime.fromtimestamp(int(block["timestamp"]), tz=UTC))


def _normalize_address(value: str) -> str:
    """Return the lowercase 0x address of a plain or CAIP-10 (``eip155:1:0x..``) account."""
    return value.rpartition(":")[2].lower()


def _caip10_chain(value: str) -> int | None:
    parts = value.split(":")
    if len(parts) == 3 and parts[0] == "eip155" and parts[1].isdigit():
        return int(parts[1])
    return None


def verify_evm_anchor(
    anchor: dict[str, Any],
    batch_root: bytes,
    *,
    web3: Any,
    declared_accounts: Iterable[str],
    min_confirmations: int = 1,
) -> tuple[str, str]:
    """Check an EVM anchor record on a node and return the sender and block time.

    Raises :class:`AnchorVerificationError` naming what differs (chain,
    data, status, block, sender) and :class:`LedgerRetrievalError` when the
    node cannot be reached or the block does not have ``min_confirmations``
    yet.
    """
    from web3.exceptions import TransactionNotFound, Web3Exception

    chain_id = require_member(anchor, "chainId", int, path="ledger")
    tx_hash = require_member(anchor, "transactionHash", str, path="ledger")
    block_number = require_member(anchor, "blockNumber", int, path="ledger")
    eth = web3.eth
    try:
        node_chain = int(eth.chain_id)
        if node_chain != chain_id:
            raise LedgerRetrievalError(
                f"the configured node serves chain {node_chain}, not chain {chain_id}"
            )
        try:
            transaction = eth.get_transaction(tx_hash)
            receipt = eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound as e:
            raise AnchorVerificationError(
                f"the transaction {tx_hash} is not on chain {chain_id}",
                property="ledger.transactionHash",
                value=tx_hash,
            ) from e
        block = eth.get_block(receipt["blockNumber"])
        head = int(eth.block_number)
    except (OSError, Web3Exception) as e:
        raise LedgerRetrievalError(
            f"the EVM node for chain {chain_id} could not be reached: {e}"
        ) from e

    if bytes(transaction["input"]) != anchor_transaction_data(batch_root):
        raise AnchorVerificationError(
            f"the transaction {tx_hash} does not carry the batch root "
            f"{batch_root.hex()}: the root or the transaction was changed",
            property="batch.rootHash",
            value=batch_root.hex(),
        )
    if receipt["status"] != 1:
        raise AnchorVerificationError(
            f"the transaction {tx_hash} reverted", property="ledger.transactionHash"
        )
    if (
        int(receipt["blockNumber"]) != block_number
        or block["hash"] != receipt["blockHash"]
    ):
        raise AnchorVerificationError(
            f"the transaction {tx_hash} is in block {receipt['blockNumber']}, not in "
            f"block {block_number} as the receipt says",
            property="ledger.blockNumber",
            value=block_number,
        )
    sender = web3.to_checksum_address(transaction["from"])
    allowed = {
        _normalize_address(a)
        for a in declared_accounts
        if _caip10_chain(a) in (None, chain_id)
    }
    if sender.lower() not in allowed:
        raise AnchorVerificationError(
            f"the transaction {tx_hash} was sent by {sender}, which is not an address "
            "the issuer declared",
            property="ledger.from",
            value=sender,
        )
    confirmations = head - block_number + 1
    if confirmations < min_confirmations:
        raise LedgerRetrievalError(
            f"block {block_number} has {confirmations} of the {min_confirmations} "
            "confirmations required"
        )
    return sender, _block_time(block)
