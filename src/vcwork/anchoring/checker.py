"""The verifier side: check a credential's anchor receipt against its ledger.

:class:`AnchorChecker` is an ``anchor_checker`` for
:func:`vcwork.credentials.verify_credential`. It finds the credential's
receipt through a look-up the caller provides, then:

1. recomputes the credential digest and compares it with the receipt's;
2. checks the inclusion path from that digest to the batch root;
3. checks the ledger record offline: for a transparency log, the entry
   commits the batch root, the entry is in the signed tree head, and the tree
   head is signed by the credential's issuer;
4. looks the root up on the ledger: the log's latest tree head and a
   consistency proof from the receipt's tree head, or the EVM transaction,
   its receipt, block and sender.

The outcome is ``passed``, or ``failed`` with a problem naming what differs
(credential, path, root, log, signer). It is ``not_checked`` when the
credential has no receipt or the ledger cannot be reached, because then the
signature may be valid while the anchor is unknown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..credentials.model import issuer_id
from ..credentials.result import Check
from ..errors import DidResolutionError, Problem, VcworkError
from ._encoding import hashes_from_hex, require_member
from ._errors import (
    AnchorNotFoundError,
    AnchorVerificationError,
    LedgerRetrievalError,
    LogIntegrityError,
)
from .digest import credential_digest
from .evm import EVM_TRANSACTION, verify_evm_anchor
from .log import TRANSPARENCY_LOG_ENTRY, TransparencyLogClient, log_entry_leaf_input
from .merkle import hash_leaf, verify_consistency, verify_inclusion
from .receipt import AnchorReceipt
from .tree_head import SignedTreeHead

__all__ = ["AnchorChecker", "LedgerConfirmation", "ReceiptLookup"]

logger = logging.getLogger(__name__)

ReceiptLookup = Callable[[dict[str, Any]], dict[str, Any] | None]
"""Returns the anchor receipt stored for a credential, or None when there is none."""

LogLookup = (
    Mapping[str, TransparencyLogClient] | Callable[[str], TransparencyLogClient | None]
)
AccountLookup = Mapping[str, Iterable[str]] | Callable[[str], Iterable[str]]


class _NotChecked(Exception):
    """The anchor cannot be checked now; the message gives the reason."""


@dataclass(frozen=True)
class LedgerConfirmation:
    """The ledger look-up result: the root's location, its writer and the time of writing."""

    location: str
    writer: str
    time: str


class AnchorChecker:
    """Checks anchor receipts; call it with a credential to get the ``anchor`` check.

    ``receipts`` finds a credential's receipt (for example in the wallet's
    store, or from the issuer's receipt endpoint). ``logs`` maps a log id to a
    :class:`TransparencyLogClient` that the verifier trusts to reach that log.
    ``evm_nodes`` maps a chain id to a ``web3.Web3`` connected to a node the
    verifier chose. ``evm_accounts`` maps an issuer DID to the EVM addresses
    it declared (plain ``0x...`` or CAIP-10 ``eip155:<chain>:0x...``).
    ``resolver`` dereferences the verification method that signed a log's
    tree heads (default: did:key offline).
    """

    def __init__(
        self,
        *,
        receipts: ReceiptLookup | None = None,
        logs: LogLookup | None = None,
        evm_nodes: Mapping[int, Any] | None = None,
        evm_accounts: AccountLookup | None = None,
        evm_min_confirmations: int = 1,
        resolver: Any = None,
    ) -> None:
        self._receipts = receipts
        self._logs = logs
        self._evm_nodes = dict(evm_nodes or {})
        self._evm_accounts = evm_accounts
        self._evm_min_confirmations = evm_min_confirmations
        self._resolver = resolver
        # The largest verified tree head of each log: every later look-up must
        # be consistent with it, so a log rewritten between two checks fails.
        self._seen_tree_heads: dict[str, SignedTreeHead] = {}
        self._lock = threading.Lock()

    def __call__(self, credential: dict[str, Any]) -> Check:
        return self.check(credential)

    def check(self, credential: dict[str, Any], receipt: Any = None) -> Check:
        """Return the ``anchor`` check of ``credential``; ``receipt`` skips the look-up."""
        try:
            if receipt is None:
                receipt = self._find_receipt(credential)
            if receipt is None:
                return Check(
                    "anchor",
                    "not_checked",
                    "no anchor receipt was found for the credential",
                )
            return self._check_receipt(credential, AnchorReceipt.from_json(receipt))
        except _NotChecked as e:
            return Check("anchor", "not_checked", f"anchor not checked: {e}")
        except VcworkError as e:
            return _failed(e.to_problem())

    def _find_receipt(self, credential: dict[str, Any]) -> dict[str, Any] | None:
        if self._receipts is None:
            return None
        try:
            return self._receipts(credential)
        except AnchorNotFoundError:
            # A credential the issuer never anchored has nothing to check,
            # which is not evidence of tampering.
            return None
        except (OSError, LedgerRetrievalError) as e:
            raise _NotChecked(f"the receipt look-up failed: {e}") from e

    def _check_receipt(
        self, credential: dict[str, Any], receipt: AnchorReceipt
    ) -> Check:
        # Step 1: the credential is the one that was anchored.
        digest = credential_digest(credential)
        if digest != receipt.credential_digest:
            raise AnchorVerificationError(
                "the credential does not match the digest in its anchor receipt: it "
                "was changed after it was anchored, or the receipt is for another "
                "credential",
                property="credentialDigest",
                value=receipt.credential_digest.hex(),
            )
        # Step 2: the digest is in the batch.
        if not verify_inclusion(
            receipt.leaf_index,
            receipt.tree_size,
            hash_leaf(digest),
            receipt.inclusion_path,
            receipt.root_hash,
        ):
            raise AnchorVerificationError(
                f"the inclusion path does not lead from leaf {receipt.leaf_index} to "
                f"the batch root {receipt.root_hash.hex()} of a tree of "
                f"{receipt.tree_size} leaves",
                property="batch.inclusionPath",
            )
        # Steps 3-4: the batch root is on the ledger, written by the issuer.
        issuer = issuer_id(credential)
        if receipt.ledger_type == TRANSPARENCY_LOG_ENTRY:
            confirmation = self._check_log_anchor(receipt, issuer)
        elif receipt.ledger_type == EVM_TRANSACTION:
            confirmation = self._check_evm_anchor(receipt, issuer)
        else:
            raise _NotChecked(
                f"the ledger type {receipt.ledger_type!r} is not supported; supported: "
                f"{TRANSPARENCY_LOG_ENTRY}, {EVM_TRANSACTION}"
            )
        return Check(
            "anchor",
            "passed",
            f"leaf {receipt.leaf_index} of batch {receipt.batch_id} "
            f"({receipt.tree_size} credentials); root written to "
            f"{confirmation.location} by {confirmation.writer} at {confirmation.time}",
        )

    # -- transparency log --------------------------------------------------------

    def _check_log_anchor(
        self, receipt: AnchorReceipt, issuer: str | None
    ) -> LedgerConfirmation:
        ledger = receipt.ledger
        log_id = require_member(ledger, "logId", str, path="ledger")
        entry_index = require_member(ledger, "entryIndex", int, path="ledger")
        entry = require_member(ledger, "entry", dict, path="ledger")
        path = hashes_from_hex(
            ledger.get("inclusionPath"), property="ledger.inclusionPath"
        )
        tree_head = SignedTreeHead.from_json(
            ledger.get("treeHead"), path="ledger.treeHead"
        )

        # Step 3: the entry commits this batch, and the signed tree head includes it.
        expected = {
            "batchId": receipt.batch_id,
            "batchRoot": receipt.root_hash.hex(),
            "batchSize": receipt.tree_size,
        }
        for name, value in expected.items():
            if entry.get(name) != value:
                raise AnchorVerificationError(
                    f"the log entry records {name} {entry.get(name)!r}, but the receipt's "
                    f"batch has {value!r}: the batch root was not written to the log",
                    property=f"ledger.entry.{name}",
                    value=entry.get(name),
                )
        committed_at = require_member(entry, "committedAt", str, path="ledger.entry")
        if tree_head.log_id != log_id:
            raise AnchorVerificationError(
                f"the tree head is of the log {tree_head.log_id!r}, not {log_id!r}",
                property="ledger.treeHead.logId",
                value=tree_head.log_id,
            )
        self._check_tree_head_signature(tree_head, issuer, "ledger.treeHead")
        leaf_hash = hash_leaf(log_entry_leaf_input(entry))
        if not verify_inclusion(
            entry_index, tree_head.tree_size, leaf_hash, path, tree_head.root_hash
        ):
            raise AnchorVerificationError(
                f"log entry {entry_index} is not in the signed tree head of size "
                f"{tree_head.tree_size}: the entry or its inclusion path was changed",
                property="ledger.inclusionPath",
            )

        # Step 4: the log's history still contains that tree head.
        latest = self._look_up_log(log_id, tree_head, issuer)
        return LedgerConfirmation(
            location=f"log {log_id} entry {entry_index} (log now has {latest.tree_size} entries)",
            writer=tree_head.verification_method,
            time=committed_at,
        )

    def _check_tree_head_signature(
        self, tree_head: SignedTreeHead, issuer: str | None, path: str
    ) -> None:
        if tree_head.signer != issuer:
            raise AnchorVerificationError(
                f"the tree head is signed by {tree_head.signer!r}, not by the credential's "
                f"issuer {issuer!r}",
                property=f"{path}.verificationMethod",
                value=tree_head.verification_method,
            )
        try:
            method = self._get_resolver().dereference_verification_method(
                tree_head.verification_method, relationship="assertionMethod"
            )
        except DidResolutionError as e:
            raise _NotChecked(
                f"the key that signed the tree head could not be resolved: {e.detail}"
            ) from e
        if not tree_head.verify_signature(method.public_key):
            raise AnchorVerificationError(
                f"the signature of the tree head of size {tree_head.tree_size} does not verify",
                property=f"{path}.signatureValue",
            )

    def _look_up_log(
        self, log_id: str, anchored: SignedTreeHead, issuer: str | None
    ) -> SignedTreeHead:
        client = self._log_client(log_id)
        try:
            latest = SignedTreeHead.from_json(
                client.get_tree_head(), path="latestTreeHead"
            )
        except (OSError, LedgerRetrievalError) as e:
            raise _NotChecked(f"the log {log_id} could not be reached: {e}") from e
        if latest.log_id != log_id:
            raise AnchorVerificationError(
                f"the log client for {log_id!r} returned a tree head of {latest.log_id!r}",
                property="latestTreeHead.logId",
                value=latest.log_id,
            )
        self._check_tree_head_signature(latest, issuer, "latestTreeHead")
        with self._lock:
            seen = self._seen_tree_heads.get(log_id)
        for earlier in (anchored, seen):
            if earlier is not None:
                self._check_consistency(client, log_id, earlier, latest)
        with self._lock:
            seen = self._seen_tree_heads.get(log_id)
            if seen is None or latest.tree_size > seen.tree_size:
                self._seen_tree_heads[log_id] = latest
        return latest

    def _check_consistency(
        self,
        client: TransparencyLogClient,
        log_id: str,
        first: SignedTreeHead,
        second: SignedTreeHead,
    ) -> None:
        if first.tree_size > second.tree_size:
            raise LogIntegrityError(
                f"the log {log_id} now has {second.tree_size} entries, fewer than the "
                f"{first.tree_size} of a tree head it signed before: it was rolled back",
                property="latestTreeHead.treeSize",
                value=second.tree_size,
            )
        try:
            response = client.get_consistency_proof(first.tree_size, second.tree_size)
        except (OSError, LedgerRetrievalError) as e:
            raise _NotChecked(f"the log {log_id} could not be reached: {e}") from e
        proof = hashes_from_hex(
            require_member(response, "consistencyPath", list, path="consistencyProof"),
            property="consistencyProof.consistencyPath",
        )
        if not verify_consistency(
            first.tree_size, second.tree_size, first.root_hash, second.root_hash, proof
        ):
            raise LogIntegrityError(
                f"the log {log_id} was rewritten: its tree head of size "
                f"{second.tree_size} is not consistent with the tree head of size "
                f"{first.tree_size} signed on {first.timestamp}",
                property="ledger.treeHead",
            )

    def _log_client(self, log_id: str) -> TransparencyLogClient:
        client: TransparencyLogClient | None
        if self._logs is None:
            client = None
        elif isinstance(self._logs, Mapping):
            client = self._logs.get(log_id)
        else:
            client = self._logs(log_id)
        if client is None:
            raise _NotChecked(f"no client is configured for the log {log_id}")
        return client

    def _get_resolver(self) -> Any:
        if self._resolver is None:
            from ..did import DidResolver

            self._resolver = DidResolver()
        return self._resolver

    # -- EVM ---------------------------------------------------------------------

    def _check_evm_anchor(
        self, receipt: AnchorReceipt, issuer: str | None
    ) -> LedgerConfirmation:
        chain_id = require_member(receipt.ledger, "chainId", int, path="ledger")
        web3 = self._evm_nodes.get(chain_id)
        if web3 is None:
            raise _NotChecked(f"no EVM node is configured for chain id {chain_id}")
        accounts = self._declared_accounts(issuer)
        if not accounts:
            raise _NotChecked(
                f"the issuer {issuer} declares no EVM address for chain {chain_id}"
            )
        try:
            sender, block_time = verify_evm_anchor(
                receipt.ledger,
                receipt.root_hash,
                web3=web3,
                declared_accounts=accounts,
                min_confirmations=self._evm_min_confirmations,
            )
        except LedgerRetrievalError as e:
            raise _NotChecked(e.detail) from e
        return LedgerConfirmation(
            location=(
                f"chain {chain_id} transaction {receipt.ledger.get('transactionHash')} "
                f"(block {receipt.ledger.get('blockNumber')})"
            ),
            writer=sender,
            time=block_time,
        )

    def _declared_accounts(self, issuer: str | None) -> list[str]:
        if issuer is None or self._evm_accounts is None:
            return []
        if isinstance(self._evm_accounts, Mapping):
            values = self._evm_accounts.get(issuer, ())
        else:
            values = self._evm_accounts(issuer)
        return [str(value) for value in values]


def _failed(problem: Problem) -> Check:
    return Check("anchor", "failed", problem.detail, (problem,))
