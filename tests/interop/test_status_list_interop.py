"""Interoperability of vcwork's Bitstring Status List with the reference JS package.

The reference is Digital Bazaar's ``@digitalbazaar/vc-bitstring-status-list``
(version pinned in ``package.json``), run offline through ``status_list.mjs``.
Each direction reads the first, a middle and the last index of a list of
131,072 entries, each set, and an unset neighbour of each:

- vcwork's ``StatusListStore`` revokes credentials at those indexes and
  publishes the signed list. The reference reads it with ``checkStatus``
  (proof verified) and with ``decodeList``.
- The reference creates and signs a list with those bits set. vcwork reads
  it with ``read_status_list`` (decode only) and with
  ``BitstringStatusListChecker`` (proof verified).

A status list whose ``encodedList`` was swapped after signing fails the
verified check on both sides, so the proof really is checked.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vcwork.credentials import issue_credential
from vcwork.did import DidResolver
from vcwork.keys import Ed25519KeyPair
from vcwork.status import (
    BitstringStatusListChecker,
    BitstringStatusListEntry,
    FetchResponse,
    StatusListStore,
    StatusVerificationError,
    encode_bitstring,
    read_status_list,
    sqlite_url,
)

pytestmark = pytest.mark.interop

INTEROP_DIR = Path(__file__).resolve().parent
STATUS_LIST_CLI = INTEROP_DIR / "status_list.mjs"
FIXTURES_DIR = INTEROP_DIR / "fixtures"

# The timeout only stops a hung node process. No test measures time.
STATUS_LIST_TIMEOUT_SECONDS = 300

LIST_LENGTH = 131_072
VCWORK_LIST_BASE_URL = "https://issuer.vcwork.example/status"
REFERENCE_LIST_URL = "https://issuer.vcwork.example/status/reference"
CREATED = "2024-03-15T09:00:00Z"

# Each index that is set, with an unset neighbour read from the same list.
INDEX_CASES = [
    pytest.param(0, 1, id="first-0"),
    pytest.param(65_536, 65_537, id="middle-65536"),
    pytest.param(131_071, 131_070, id="last-131071"),
]
SET_INDEXES = (0, 65_536, 131_071)
UNSET_INDEXES = (1, 65_537, 131_070)

StatusListRunner = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


# -- helpers --------------------------------------------------------------------


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text("utf-8"))


def run_status_list(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send ``requests`` to one ``status_list.mjs`` process and return its responses.

    Raises ``RuntimeError`` with the tool's stderr when the process fails or
    prints something that is not one response per request.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            "node is not on PATH; install Node.js 20 or later to run status_list.mjs"
        )
    completed = subprocess.run(
        [node, str(STATUS_LIST_CLI)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=STATUS_LIST_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"status_list.mjs exited with status {completed.returncode}: "
            f"{completed.stderr.strip()}"
        )
    try:
        responses = json.loads(completed.stdout)
    except ValueError as e:
        raise RuntimeError(
            f"status_list.mjs printed invalid JSON ({e}); stderr: "
            f"{completed.stderr.strip()}"
        ) from e
    if not isinstance(responses, list) or len(responses) != len(requests):
        raise RuntimeError(
            f"status_list.mjs returned {type(responses).__name__} for "
            f"{len(requests)} requests; expected a list with one response each"
        )
    return responses


def run_all(
    status_list_js: StatusListRunner, requests: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run a batch and fail the test if the reference package raised on any request."""
    responses = status_list_js(requests)
    for response in responses:
        assert "error" not in response, f"reference package failed: {response['error']}"
    return responses


class StaticFetcher:
    """Serve fixed status list credentials by URL, as a status list server would."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents

    def __call__(self, url: str) -> FetchResponse:
        return FetchResponse(json.dumps(self.documents[url]).encode("utf-8"))


def swapped_encoded_list(status_list_credential: dict[str, Any]) -> dict[str, Any]:
    """Return a copy whose ``encodedList`` is an all-zero list, keeping the old proof."""
    tampered = copy.deepcopy(status_list_credential)
    tampered["credentialSubject"]["encodedList"] = encode_bitstring(
        bytes(LIST_LENGTH // 8)
    )
    return tampered


def reference_entry(index: int) -> BitstringStatusListEntry:
    return BitstringStatusListEntry(
        id=f"{REFERENCE_LIST_URL}#{index}",
        status_purpose="revocation",
        status_list_index=index,
        status_list_credential=REFERENCE_LIST_URL,
    )


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def status_list_js(reference_node_modules: Path) -> StatusListRunner:
    """A function that runs a batch of requests through ``status_list.mjs``."""
    return run_status_list


@pytest.fixture(scope="module")
def issuer_key() -> dict[str, Any]:
    key: dict[str, Any] = load_fixture("issuer-key.json")
    return key


@dataclass(frozen=True)
class VcworkStatusList:
    """A list published by vcwork's store, and one signed credential per index."""

    status_list_credential: dict[str, Any]
    credentials: dict[int, dict[str, Any]]


@pytest.fixture(scope="module")
def vcwork_status_list(
    tmp_path_factory: pytest.TempPathFactory, issuer_key: dict[str, Any]
) -> Iterator[VcworkStatusList]:
    """Allocate every case's index in one store, revoke the set ones, publish."""
    key_pair = Ed25519KeyPair.from_multikey(issuer_key)
    database = tmp_path_factory.mktemp("status") / "status.db"
    store = StatusListStore(
        sqlite_url(database), list_base_url=VCWORK_LIST_BASE_URL, key_pair=key_pair
    )
    requested_indexes = list(SET_INDEXES + UNSET_INDEXES)

    def next_requested_index(*_args: Any) -> int:
        return requested_indexes.pop(0)

    credentials: dict[int, dict[str, Any]] = {}
    # The store draws indexes at random; replacing its private draw picks
    # the indexes under test and leaves the list length at 131,072.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(
            StatusListStore, "_draw_index", staticmethod(next_requested_index)
        )
        for index in SET_INDEXES + UNSET_INDEXES:
            credential_id = f"https://issuer.vcwork.example/credentials/{index}"
            entry = store.allocate(credential_id)
            if entry.status_list_index != index:
                raise RuntimeError(
                    f"the store allocated index {entry.status_list_index} for "
                    f"{credential_id}, expected {index}"
                )
            credentials[index] = issue_credential(
                {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "id": credential_id,
                    "type": ["VerifiableCredential"],
                    "issuer": key_pair.controller,
                    "validFrom": CREATED,
                    "credentialSubject": {"id": "did:example:learner"},
                    "credentialStatus": entry.to_json(),
                },
                key_pair,
                created=CREATED,
            )
    change = store.revoke_many(
        f"https://issuer.vcwork.example/credentials/{index}" for index in SET_INDEXES
    )
    (status_list_credential,) = change.status_list_credentials.values()
    yield VcworkStatusList(status_list_credential, credentials)
    store.close()


@pytest.fixture(scope="module")
def reference_status_list(
    status_list_js: StatusListRunner, issuer_key: dict[str, Any]
) -> dict[str, Any]:
    """A revocation list of 131,072 entries that the reference package signed."""
    request = {
        "op": "create",
        "id": REFERENCE_LIST_URL,
        "indexes": list(SET_INDEXES),
        "statusPurpose": "revocation",
        "length": LIST_LENGTH,
        "validFrom": CREATED,
        "created": CREATED,
        "keyPair": issuer_key,
    }
    (response,) = run_all(status_list_js, [request])
    document: dict[str, Any] = response["document"]
    return document


@pytest.fixture
def reference_checker(
    reference_status_list: dict[str, Any],
) -> BitstringStatusListChecker:
    return BitstringStatusListChecker(
        fetcher=StaticFetcher({REFERENCE_LIST_URL: reference_status_list}),
        resolver=DidResolver(),
    )


# -- vcwork publishes, the reference reads -----------------------------------------


@pytest.mark.parametrize(("set_index", "unset_index"), INDEX_CASES)
def test_reference_checks_vcwork_status_list(
    status_list_js: StatusListRunner,
    vcwork_status_list: VcworkStatusList,
    set_index: int,
    unset_index: int,
) -> None:
    status_list = vcwork_status_list.status_list_credential
    set_response, unset_response = run_all(
        status_list_js,
        [
            {
                "op": "check",
                "credential": vcwork_status_list.credentials[index],
                "statusListCredential": status_list,
            }
            for index in (set_index, unset_index)
        ],
    )

    assert set_response["verified"] is True, set_response["errors"]
    assert set_response["results"] == [
        {
            "statusPurpose": "revocation",
            "statusListIndex": str(set_index),
            "status": True,
        }
    ]
    assert unset_response["verified"] is True, unset_response["errors"]
    assert unset_response["results"] == [
        {
            "statusPurpose": "revocation",
            "statusListIndex": str(unset_index),
            "status": False,
        }
    ]


@pytest.mark.parametrize(("set_index", "unset_index"), INDEX_CASES)
def test_reference_decodes_vcwork_status_list(
    status_list_js: StatusListRunner,
    vcwork_status_list: VcworkStatusList,
    set_index: int,
    unset_index: int,
) -> None:
    request = {
        "op": "decode",
        "statusListCredential": vcwork_status_list.status_list_credential,
        "indexes": [set_index, unset_index],
    }

    (response,) = run_all(status_list_js, [request])

    assert response["length"] == LIST_LENGTH
    assert response["statuses"] == [True, False]


def test_reference_rejects_tampered_vcwork_status_list(
    status_list_js: StatusListRunner, vcwork_status_list: VcworkStatusList
) -> None:
    tampered = swapped_encoded_list(vcwork_status_list.status_list_credential)
    request = {
        "op": "check",
        "credential": vcwork_status_list.credentials[SET_INDEXES[0]],
        "statusListCredential": tampered,
    }

    (response,) = status_list_js([request])

    assert response["verified"] is False
    assert "not verified" in response["errors"][0]


# -- the reference publishes, vcwork reads -----------------------------------------


@pytest.mark.parametrize(("set_index", "unset_index"), INDEX_CASES)
def test_vcwork_decodes_reference_status_list(
    reference_status_list: dict[str, Any], set_index: int, unset_index: int
) -> None:
    status_list = read_status_list(reference_status_list, url=REFERENCE_LIST_URL)

    assert status_list.bitstring.length == LIST_LENGTH
    assert status_list.status_purposes == ("revocation",)
    assert status_list.bitstring.get_status(set_index) == 1
    assert status_list.bitstring.get_status(unset_index) == 0


@pytest.mark.parametrize(("set_index", "unset_index"), INDEX_CASES)
def test_vcwork_checks_reference_status_list(
    reference_checker: BitstringStatusListChecker,
    issuer_key: dict[str, Any],
    set_index: int,
    unset_index: int,
) -> None:
    issuer = issuer_key["controller"]

    set_result = reference_checker.status_of(reference_entry(set_index), issuer=issuer)
    unset_result = reference_checker.status_of(
        reference_entry(unset_index), issuer=issuer
    )

    assert set_result.status == 1
    assert set_result.valid is False
    assert unset_result.status == 0
    assert unset_result.valid is True


def test_vcwork_rejects_tampered_reference_status_list(
    reference_status_list: dict[str, Any], issuer_key: dict[str, Any]
) -> None:
    tampered = swapped_encoded_list(reference_status_list)
    checker = BitstringStatusListChecker(
        fetcher=StaticFetcher({REFERENCE_LIST_URL: tampered}),
        resolver=DidResolver(),
    )

    with pytest.raises(StatusVerificationError, match="did not verify"):
        checker.status_of(
            reference_entry(SET_INDEXES[0]), issuer=issuer_key["controller"]
        )
