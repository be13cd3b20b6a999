"""BitstringStatusListChecker: each failure, caching and the end-to-end flow."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from vcwork.credentials import issue_credential, verify_credential
from vcwork.keys import Ed25519KeyPair
from vcwork.status import (
    Bitstring,
    BitstringStatusListChecker,
    HttpxFetcher,
    StatusListStore,
    StatusRetrievalError,
    build_status_list_credential,
    cache_lifetime_from_headers,
)

from .conftest import CountingFetcher

LIST_URL = "https://issuer.test/status/1"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def entry(
    index: int, purpose: str = "revocation", url: str = LIST_URL, **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
        **extra,
    }


def signed_list(
    key_pair: Ed25519KeyPair,
    *,
    set_bits: tuple[int, ...] = (),
    purpose: str | list[str] = "revocation",
    length: int = 131_072,
    url: str = LIST_URL,
    **options: Any,
) -> dict[str, Any]:
    bitstring = Bitstring(length)
    for index in set_bits:
        bitstring.set_bit(index, True)
    unsigned = build_status_list_credential(
        url=url,
        issuer=str(key_pair.controller),
        status_purpose=purpose,
        bitstring=bitstring,
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        **options,
    )
    return issue_credential(unsigned, key_pair, created="2025-01-01T00:00:00Z")


@pytest.fixture
def key_pair(issuer: tuple[Ed25519KeyPair, str]) -> Ed25519KeyPair:
    return issuer[0]


def check_with(
    fetcher: CountingFetcher, credential: dict[str, Any], **options: Any
) -> Any:
    checker = BitstringStatusListChecker(fetcher=fetcher, now=NOW, **options)
    return verify_credential(credential, now=NOW, status_checker=checker)


def test_unset_bit_passes(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    fetcher = CountingFetcher({LIST_URL: signed_list(key_pair, set_bits=(5,))})
    result = check_with(fetcher, make_credential("urn:uuid:a", entry(4)))
    assert result.verified
    assert result.check("status").outcome == "passed"


@pytest.mark.parametrize("index", [0, 65_536, 131_071])
def test_set_bit_at_edges_is_revoked(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any], index: int
) -> None:
    fetcher = CountingFetcher({LIST_URL: signed_list(key_pair, set_bits=(index,))})
    result = check_with(fetcher, make_credential("urn:uuid:a", entry(index)))
    status = result.check("status")
    assert not result.verified
    assert status.outcome == "failed"
    assert "revoked by the issuer" in status.detail
    assert status.problems == ()


def test_suspended_detail(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    lists = {LIST_URL: signed_list(key_pair, set_bits=(9,), purpose="suspension")}
    result = check_with(
        CountingFetcher(lists), make_credential("urn:uuid:a", entry(9, "suspension"))
    )
    assert result.check("status").outcome == "failed"
    assert "suspended by the issuer" in result.check("status").detail


def problem_codes(result: Any) -> list[str]:
    return [p.code for p in result.check("status").problems]


def test_retrieval_error_fails_by_default(make_credential: Callable[..., Any]) -> None:
    result = check_with(CountingFetcher({}), make_credential("urn:uuid:a", entry(1)))
    status = result.check("status")
    assert status.outcome == "failed"
    assert problem_codes(result) == ["STATUS_RETRIEVAL_ERROR"]
    assert status.detail.startswith("the status is unknown")
    assert "revoked" not in status.detail
    assert status.problems[0].to_json()["type"] == (
        "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR"
    )


def test_retrieval_error_can_be_not_checked(
    make_credential: Callable[..., Any],
) -> None:
    result = check_with(
        CountingFetcher({}),
        make_credential("urn:uuid:a", entry(1)),
        retrieval_error_outcome="not_checked",
    )
    assert result.verified
    assert result.check("status").outcome == "not_checked"
    assert problem_codes(result) == ["STATUS_RETRIEVAL_ERROR"]


def test_non_json_list_is_retrieval_error(make_credential: Callable[..., Any]) -> None:
    fetcher = CountingFetcher({LIST_URL: b"<html>not found</html>"})
    result = check_with(fetcher, make_credential("urn:uuid:a", entry(1)))
    assert problem_codes(result) == ["STATUS_RETRIEVAL_ERROR"]


def test_tampered_list_is_verification_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    tampered = signed_list(key_pair, set_bits=(1,))
    tampered["credentialSubject"]["encodedList"] = signed_list(key_pair)[
        "credentialSubject"
    ]["encodedList"]
    result = check_with(
        CountingFetcher({LIST_URL: tampered}), make_credential("urn:uuid:a", entry(1))
    )
    assert result.check("status").outcome == "failed"
    assert problem_codes(result) == ["STATUS_VERIFICATION_ERROR"]


def test_expired_list_is_verification_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    expired = signed_list(key_pair, valid_for=timedelta(days=1))
    result = check_with(
        CountingFetcher({LIST_URL: expired}), make_credential("urn:uuid:a", entry(1))
    )
    assert problem_codes(result) == ["STATUS_VERIFICATION_ERROR"]
    assert "expired" in result.check("status").detail


def test_foreign_issuer_is_verification_error(
    make_credential: Callable[..., Any],
) -> None:
    from vcwork.did import create_did_key

    stranger, _ = create_did_key()
    lists = {LIST_URL: signed_list(stranger)}
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", entry(1)))
    assert problem_codes(result) == ["STATUS_VERIFICATION_ERROR"]
    allowed = check_with(
        CountingFetcher(lists),
        make_credential("urn:uuid:a", entry(1)),
        require_same_issuer=False,
    )
    assert allowed.verified


def test_list_id_mismatch_is_verification_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    other = signed_list(key_pair, url="https://issuer.test/status/2")
    result = check_with(
        CountingFetcher({LIST_URL: other}), make_credential("urn:uuid:a", entry(1))
    )
    assert problem_codes(result) == ["STATUS_VERIFICATION_ERROR"]


def test_purpose_mismatch_is_verification_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    lists = {LIST_URL: signed_list(key_pair, purpose="suspension")}
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", entry(1)))
    assert problem_codes(result) == ["STATUS_VERIFICATION_ERROR"]
    assert "statusPurpose" in result.check("status").detail


def test_list_with_several_purposes(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    lists = {LIST_URL: signed_list(key_pair, purpose=["revocation", "suspension"])}
    result = check_with(
        CountingFetcher(lists), make_credential("urn:uuid:a", entry(1, "suspension"))
    )
    assert result.verified


def test_short_list_is_length_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    lists = {LIST_URL: signed_list(key_pair, length=131_064)}
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", entry(1)))
    assert problem_codes(result) == ["STATUS_LIST_LENGTH_ERROR"]


def test_multi_bit_entries_need_longer_list(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    messages = [{"status": f"0x{i:x}", "message": f"m{i}"} for i in range(4)]
    status = entry(1, "message", statusSize=2, statusMessage=messages)
    lists = {LIST_URL: signed_list(key_pair, purpose="message")}
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", status))
    assert problem_codes(result) == ["STATUS_LIST_LENGTH_ERROR"]


def test_message_status_reports_message(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    messages = [{"status": f"0x{i:x}", "message": f"m{i}"} for i in range(4)]
    status = entry(3, "message", statusSize=2, statusMessage=messages)
    # Entry 3 of 2 bits covers bits 6 and 7; setting bit 6 gives 0b10.
    lists = {
        LIST_URL: signed_list(
            key_pair, set_bits=(6,), purpose="message", length=262_144
        )
    }
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", status))
    assert result.verified
    assert "0x2 (m2)" in result.check("status").detail


def test_index_out_of_range_is_range_error(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    lists = {LIST_URL: signed_list(key_pair)}
    result = check_with(
        CountingFetcher(lists), make_credential("urn:uuid:a", entry(131_072))
    )
    assert problem_codes(result) == ["RANGE_ERROR"]


@pytest.mark.parametrize(
    "bad",
    [
        {"statusListIndex": "-1"},
        {"statusListIndex": "12a"},
        {"statusListCredential": 5},
        {"statusPurpose": ""},
        {"statusSize": 2},
        {"statusSize": 0},
        {"id": LIST_URL},
    ],
)
def test_malformed_entry_is_malformed_value(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any], bad: dict[str, Any]
) -> None:
    status = {**entry(1), **bad}
    lists = {LIST_URL: signed_list(key_pair)}
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", status))
    assert result.check("status").outcome == "failed"
    assert problem_codes(result) == ["MALFORMED_VALUE_ERROR"]


def test_malformed_encoded_list(
    key_pair: Ed25519KeyPair, make_credential: Callable[..., Any]
) -> None:
    unsigned = build_status_list_credential(
        url=LIST_URL,
        issuer=str(key_pair.controller),
        status_purpose="revocation",
        bitstring=Bitstring(131_072),
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    unsigned["credentialSubject"]["encodedList"] = "uNOTGZIP"
    lists = {
        LIST_URL: issue_credential(unsigned, key_pair, created="2025-01-01T00:00:00Z")
    }
    result = check_with(CountingFetcher(lists), make_credential("urn:uuid:a", entry(1)))
    assert problem_codes(result) == ["MALFORMED_VALUE_ERROR"]


def test_other_status_types_not_checked() -> None:
    checker = BitstringStatusListChecker(fetcher=CountingFetcher({}), now=NOW)
    status = {"id": "https://issuer.test/other", "type": "SomeOtherStatus"}
    check = checker({"issuer": "did:example:issuer", "credentialStatus": status})
    assert check.outcome == "not_checked"
    assert "SomeOtherStatus" in check.detail


def test_one_fetch_for_many_credentials(key_pair: Ed25519KeyPair) -> None:
    fetcher = CountingFetcher({LIST_URL: signed_list(key_pair, set_bits=(7,))})
    checker = BitstringStatusListChecker(fetcher=fetcher, now=NOW)
    issuer = key_pair.controller
    outcomes = [
        checker({"issuer": issuer, "credentialStatus": entry(i)}).outcome
        for i in range(10_000)
    ]
    assert fetcher.calls == [LIST_URL]
    assert outcomes.count("failed") == 1
    assert outcomes[7] == "failed"


def test_cache_expires_after_ttl(key_pair: Ed25519KeyPair) -> None:
    ttl_list = signed_list(key_pair, ttl=timedelta(seconds=60))
    fetcher = CountingFetcher(
        {LIST_URL: ttl_list}, headers={"cache-control": "max-age=3600"}
    )
    clock = [0.0]
    checker = BitstringStatusListChecker(
        fetcher=fetcher, now=NOW, clock=lambda: clock[0]
    )
    credential = {"issuer": key_pair.controller, "credentialStatus": entry(1)}
    checker(credential)
    clock[0] = 59.0
    checker(credential)
    assert len(fetcher.calls) == 1
    clock[0] = 61.0
    checker(credential)
    assert len(fetcher.calls) == 2


def test_cache_follows_max_age(key_pair: Ed25519KeyPair) -> None:
    fetcher = CountingFetcher(
        {LIST_URL: signed_list(key_pair)}, headers={"cache-control": "max-age=10"}
    )
    clock = [0.0]
    checker = BitstringStatusListChecker(
        fetcher=fetcher, now=NOW, clock=lambda: clock[0]
    )
    credential = {"issuer": key_pair.controller, "credentialStatus": entry(1)}
    checker(credential)
    clock[0] = 9.0
    checker(credential)
    assert len(fetcher.calls) == 1
    clock[0] = 11.0
    checker(credential)
    assert len(fetcher.calls) == 2


def test_no_store_is_never_cached(key_pair: Ed25519KeyPair) -> None:
    fetcher = CountingFetcher(
        {LIST_URL: signed_list(key_pair)}, headers={"cache-control": "no-store"}
    )
    checker = BitstringStatusListChecker(fetcher=fetcher, now=NOW)
    credential = {"issuer": key_pair.controller, "credentialStatus": entry(1)}
    checker(credential)
    checker(credential)
    assert len(fetcher.calls) == 2


def test_cache_lifetime_from_headers() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert cache_lifetime_from_headers({"cache-control": "public, max-age=120"}) == 120
    assert cache_lifetime_from_headers({"cache-control": "no-cache"}) == 0
    expires = {"expires": "Sun, 01 Jun 2025 12:05:00 GMT"}
    assert cache_lifetime_from_headers(expires, now=now) == 300
    assert cache_lifetime_from_headers({"expires": "garbage"}, now=now) == 0
    assert cache_lifetime_from_headers({}) is None


def test_status_list_2021_is_read(key_pair: Ed25519KeyPair) -> None:
    bitstring = Bitstring(131_072)
    bitstring.set_bit(3, True)
    legacy_list = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/vc/status-list/2021/v1",
        ],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": key_pair.controller,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            # StatusList2021 lists have no multibase prefix.
            "encodedList": bitstring.encode()[1:],
        },
    }
    lists = {
        LIST_URL: issue_credential(
            legacy_list, key_pair, created="2025-01-01T00:00:00Z"
        )
    }
    checker = BitstringStatusListChecker(fetcher=CountingFetcher(lists), now=NOW)
    legacy_entry = {**entry(3), "type": "StatusList2021Entry"}
    check = checker({"issuer": key_pair.controller, "credentialStatus": legacy_entry})
    assert check.outcome == "failed"
    assert "revoked by the issuer" in check.detail


def test_end_to_end_revocation(
    store: StatusListStore, make_credential: Callable[..., Any]
) -> None:
    revoked_entry = store.allocate("urn:uuid:revoked")
    kept_entry = store.allocate("urn:uuid:kept")
    revoked = make_credential("urn:uuid:revoked", revoked_entry.to_json())
    kept = make_credential("urn:uuid:kept", kept_entry.to_json())
    fetcher = CountingFetcher(store=store)

    def verify(credential: dict[str, Any]) -> Any:
        checker = BitstringStatusListChecker(fetcher=fetcher)
        return verify_credential(credential, status_checker=checker)

    assert verify(revoked).verified
    store.revoke("urn:uuid:revoked")
    after = verify(revoked)
    assert not after.verified
    assert "revoked by the issuer" in after.check("status").detail
    assert verify(kept).verified


class _ListHandler(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.documents.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/vc")
        self.send_header("Cache-Control", "max-age=60")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    documents: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_ListHandler,), {"documents": documents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", documents
    finally:
        server.shutdown()
        server.server_close()


def test_http_fetch_on_loopback(
    local_server: tuple[str, dict[str, bytes]],
    key_pair: Ed25519KeyPair,
    make_credential: Callable[..., Any],
) -> None:
    base, documents = local_server
    url = f"{base}/status/1"
    documents["/status/1"] = json.dumps(
        signed_list(key_pair, set_bits=(2,), url=url)
    ).encode()
    checker = BitstringStatusListChecker(allow_http_loopback=True, now=NOW)
    revoked = verify_credential(
        make_credential("urn:uuid:a", entry(2, url=url)),
        now=NOW,
        status_checker=checker,
    )
    kept = verify_credential(
        make_credential("urn:uuid:b", entry(3, url=url)),
        now=NOW,
        status_checker=checker,
    )
    assert "revoked by the issuer" in revoked.check("status").detail
    assert kept.verified
    missing = verify_credential(
        make_credential("urn:uuid:c", entry(3, url=f"{base}/status/404")),
        now=NOW,
        status_checker=checker,
    )
    assert [p.code for p in missing.check("status").problems] == [
        "STATUS_RETRIEVAL_ERROR"
    ]
    assert "HTTP 404" in missing.check("status").detail


def test_http_needs_opt_in(local_server: tuple[str, dict[str, bytes]]) -> None:
    base, _ = local_server
    with pytest.raises(StatusRetrievalError, match="only https"):
        HttpxFetcher()(f"{base}/status/1")


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/status", "ftp://issuer.test/status", "file:///etc/passwd"]
)
def test_fetcher_rejects_non_https(url: str) -> None:
    with pytest.raises(StatusRetrievalError):
        HttpxFetcher(allow_http_loopback=True).check_url(url)


def test_fetcher_size_limit(local_server: tuple[str, dict[str, bytes]]) -> None:
    base, documents = local_server
    documents["/big"] = b"x" * 5000
    with pytest.raises(StatusRetrievalError, match="larger than 1000 bytes"):
        HttpxFetcher(allow_http_loopback=True, max_bytes=1000)(f"{base}/big")
