"""StatusListStore: allocation, concurrency, status changes and publishing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vcwork.credentials import verify_credential
from vcwork.errors import MalformedValueError, RangeError
from vcwork.keys import Ed25519KeyPair
from vcwork.status import (
    Bitstring,
    StatusChangeError,
    StatusEntryNotFoundError,
    StatusListStore,
    sqlite_url,
)

from .conftest import LIST_BASE_URL


def small_store(
    path: Path, key_pair: Ed25519KeyPair | None, length: int = 16
) -> StatusListStore:
    return StatusListStore(
        sqlite_url(path),
        list_base_url=LIST_BASE_URL,
        key_pair=key_pair,
        _unchecked_list_length=length,
    )


def decoded_list(credential: dict) -> Bitstring:
    return Bitstring.decode(credential["credentialSubject"]["encodedList"])


def test_allocate_returns_spec_entry(store: StatusListStore) -> None:
    entry = store.allocate("urn:uuid:a").to_json()
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert isinstance(entry["statusListIndex"], str)
    assert 0 <= int(entry["statusListIndex"]) < 131_072
    assert entry["statusListCredential"].startswith(LIST_BASE_URL + "/")
    assert entry["id"] != entry["statusListCredential"]


def test_allocate_is_idempotent(store: StatusListStore) -> None:
    first = store.allocate("urn:uuid:a")
    again = store.allocate("urn:uuid:a")
    assert again == first
    assert store.count_entries() == 1


def test_new_list_is_signed_and_verifies(store: StatusListStore) -> None:
    entry = store.allocate("urn:uuid:a")
    credential = store.status_list_credential(entry.status_list_credential)
    assert credential is not None
    assert "BitstringStatusListCredential" in credential["type"]
    assert credential["credentialSubject"]["type"] == "BitstringStatusList"
    assert verify_credential(credential).verified
    assert decoded_list(credential).length == 131_072


def test_public_minimum_length_enforced(tmp_path: Path) -> None:
    with pytest.raises(RangeError, match="131072"):
        StatusListStore(
            sqlite_url(tmp_path / "s.db"), list_base_url=LIST_BASE_URL, list_length=1024
        )


def test_full_list_opens_new_one(tmp_path: Path, issuer: tuple) -> None:
    store = small_store(tmp_path / "s.db", issuer[0], length=16)
    entries = [store.allocate(f"urn:uuid:{i}") for i in range(40)]
    by_list: dict[str, set[int]] = {}
    for entry in entries:
        by_list.setdefault(entry.status_list_credential, set()).add(
            entry.status_list_index
        )
    assert len(by_list) == 3
    counts = sorted(len(indexes) for indexes in by_list.values())
    assert counts == [8, 16, 16]
    for indexes in by_list.values():
        assert all(0 <= i < 16 for i in indexes)


def test_allocation_threads_never_share(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    small_store(path, None, length=64)  # creates the schema once

    def work(worker: int) -> list[tuple[str, int]]:
        store = small_store(path, None, length=64)
        pairs = []
        for i in range(25):
            entry = store.allocate(f"urn:uuid:t{worker}-{i}")
            pairs.append((entry.status_list_credential, entry.status_list_index))
        return pairs

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [p for chunk in pool.map(work, range(8)) for p in chunk]
    assert len(results) == 200
    assert len(set(results)) == 200
    assert small_store(path, None).count_entries() == 200


_PROCESS_WORKER = textwrap.dedent(
    """
    import json, sys
    from vcwork.status import StatusListStore, sqlite_url
    path, worker = sys.argv[1], sys.argv[2]
    store = StatusListStore(sqlite_url(path), list_base_url="https://issuer.test/status",
                            _unchecked_list_length=64)
    pairs = []
    for i in range(30):
        entry = store.allocate(f"urn:uuid:p{worker}-{i}")
        pairs.append([entry.status_list_credential, entry.status_list_index])
    print(json.dumps(pairs))
    """
)


def test_allocation_processes_never_share(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    small_store(path, None, length=64)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_WORKER, str(path), str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(4)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.extend(tuple(pair) for pair in json.loads(out))
    assert len(results) == 120
    assert len(set(results)) == 120
    assert small_store(path, None).count_entries() == 120


def test_revoke_sets_bit_and_republishes(store: StatusListStore) -> None:
    entry = store.allocate("urn:uuid:a")
    other = store.allocate("urn:uuid:b")
    change = store.revoke("urn:uuid:a")
    assert change.changed == ("urn:uuid:a",)
    credential = change.status_list_credentials[entry.status_list_credential]
    assert store.status_list_credential(entry.status_list_credential) == credential
    bits = decoded_list(credential)
    assert bits.get_bit(entry.status_list_index) == 1
    assert bits.get_bit(other.status_list_index) == 0
    assert verify_credential(credential).verified


def test_revoke_twice_changes_nothing(store: StatusListStore) -> None:
    store.allocate("urn:uuid:a")
    store.revoke("urn:uuid:a")
    again = store.revoke("urn:uuid:a")
    assert again.changed == ()
    assert again.unchanged == ("urn:uuid:a",)
    assert again.status_list_credentials == {}


def test_revocation_is_final(store: StatusListStore) -> None:
    store.allocate("urn:uuid:a", status_purpose="revocation")
    store.allocate("urn:uuid:a", status_purpose="suspension")
    store.revoke("urn:uuid:a")
    with pytest.raises(StatusChangeError, match="revocation is final"):
        store.reinstate("urn:uuid:a")
    with pytest.raises(StatusChangeError, match="revocation is final"):
        store.set_status("urn:uuid:a", 0, status_purpose="revocation")


def test_suspension_can_be_reinstated(store: StatusListStore) -> None:
    entry = store.allocate("urn:uuid:a", status_purpose="suspension")
    suspended = store.suspend("urn:uuid:a")
    url = entry.status_list_credential
    assert (
        decoded_list(suspended.status_list_credentials[url]).get_bit(
            entry.status_list_index
        )
        == 1
    )
    reinstated = store.reinstate("urn:uuid:a")
    assert reinstated.changed == ("urn:uuid:a",)
    assert (
        decoded_list(reinstated.status_list_credentials[url]).get_bit(
            entry.status_list_index
        )
        == 0
    )


def test_revocation_and_suspension_use_separate_lists(store: StatusListStore) -> None:
    revocation = store.allocate("urn:uuid:a", status_purpose="revocation")
    suspension = store.allocate("urn:uuid:a", status_purpose="suspension")
    assert revocation.status_list_credential != suspension.status_list_credential
    credential = store.status_list_credential(suspension.status_list_credential)
    assert credential is not None
    assert credential["credentialSubject"]["statusPurpose"] == "suspension"


def test_change_unknown_credential_rejected(store: StatusListStore) -> None:
    store.allocate("urn:uuid:a")
    with pytest.raises(StatusEntryNotFoundError, match="urn:uuid:missing"):
        store.revoke("urn:uuid:missing")
    with pytest.raises(StatusEntryNotFoundError, match="suspension"):
        store.suspend("urn:uuid:a")


def test_change_without_key_rejected(tmp_path: Path) -> None:
    store = small_store(tmp_path / "s.db", None)
    store.allocate("urn:uuid:a")
    with pytest.raises(MalformedValueError, match="signing key"):
        store.revoke("urn:uuid:a")


def test_bulk_revoke_publishes_once(store: StatusListStore) -> None:
    entries = [store.allocate(f"urn:uuid:{i}") for i in range(1000)]
    keep = store.allocate("urn:uuid:keep")
    change = store.revoke_many(f"urn:uuid:{i}" for i in range(1000))
    assert len(change.changed) == 1000
    assert len(change.status_list_credentials) == 1
    (credential,) = change.status_list_credentials.values()
    bits = decoded_list(credential)
    assert all(bits.get_bit(e.status_list_index) == 1 for e in entries)
    assert bits.get_bit(keep.status_list_index) == 0
    assert sum(bin(b).count("1") for b in bits.to_bytes()) == 1000
    info = store.lists()[0]
    assert info.version == 1
    assert info.published_version == 1


def test_bulk_revoke_is_all_or_nothing(store: StatusListStore) -> None:
    store.allocate("urn:uuid:a")
    with pytest.raises(StatusEntryNotFoundError):
        store.revoke_many(["urn:uuid:a", "urn:uuid:missing"])
    assert store.entries("urn:uuid:a")[0][1] == 0


def test_message_entries_carry_messages(store: StatusListStore) -> None:
    messages = [
        (0, "pending_review"),
        (1, "accepted"),
        (2, "rejected"),
        (3, "undefined"),
    ]
    entry = store.allocate(
        "urn:uuid:a", status_purpose="message", status_size=2, status_messages=messages
    )
    body = entry.to_json()
    assert body["statusSize"] == 2
    assert body["statusMessage"][2] == {"status": "0x2", "message": "rejected"}
    change = store.set_status("urn:uuid:a", 2)
    (credential,) = change.status_list_credentials.values()
    bits = decoded_list(credential)
    assert bits.length == 2 * 131_072
    assert bits.get_status(entry.status_list_index, status_size=2) == 2
    with pytest.raises(RangeError):
        store.set_status("urn:uuid:a", 4)


def test_message_entry_needs_all_messages(store: StatusListStore) -> None:
    with pytest.raises(MalformedValueError, match="needs 4 status messages"):
        store.allocate(
            "urn:uuid:a",
            status_purpose="message",
            status_size=2,
            status_messages=[(0, "x")],
        )


def test_publish_resigns_list(store: StatusListStore) -> None:
    entry = store.allocate("urn:uuid:a")
    published = store.publish(entry.status_list_credential)
    assert list(published) == [entry.status_list_credential]
    with pytest.raises(StatusEntryNotFoundError):
        store.publish("https://issuer.test/status/unknown")
