"""Drive the wallet's web pages over HTTP, as the participant's browser does.

The wallet has no JSON API for its holder: a participant uses its HTML
forms. This client fills in the same forms (with the session cookie and the
CSRF token each form carries), so the demo exercises the pages a phone uses.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

from .up import SystemRunError

__all__ = ["WalletWebClient", "form_values", "link_hrefs"]

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')
_ANCHOR = re.compile(r'<a\b[^>]*\bhref="([^"]*)"', re.IGNORECASE)
_ALERT = re.compile(r'<div class="error" role="alert">(.*?)</div>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _attributes(tag: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def form_values(page: str, name: str) -> list[str]:
    """Return the ``value`` of every ``<input>`` named ``name`` in ``page``."""
    values = []
    for tag in _INPUT.findall(page):
        attributes = _attributes(tag)
        if attributes.get("name") == name and "value" in attributes:
            values.append(attributes["value"])
    return values


def link_hrefs(page: str) -> list[str]:
    """Return the ``href`` of every link in ``page``, HTML entities decoded."""
    return [html.unescape(href) for href in _ANCHOR.findall(page)]


def _page_errors(page: str) -> str:
    texts = [" ".join(_TAG.sub(" ", m).split()) for m in _ALERT.findall(page)]
    return "; ".join(texts) or "no error message on the page"


@dataclass(frozen=True)
class ReceivedOffer:
    """The wallet's offer result page: ``{wallet id: name}`` stored, and the page."""

    stored: dict[str, str]
    page: str


class WalletWebClient:
    """A participant's browser session with the wallet web app at ``base_url``."""

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url, timeout=timeout, follow_redirects=True
        )

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, **params: str) -> str:
        response = self.http.get(path, params=params or None)
        if response.status_code != 200:
            raise SystemRunError(
                f"the wallet returned HTTP {response.status_code} for GET {path}: "
                f"{_page_errors(response.text)}"
            )
        return response.text

    def _csrf(self, page: str) -> str:
        tokens = form_values(page, "csrf")
        if not tokens:
            raise SystemRunError("the wallet page has no CSRF token; is it unlocked?")
        return tokens[0]

    def _post(self, path: str, data: dict[str, str | list[str]], *, what: str) -> str:
        response = self.http.post(path, data=data)
        if response.status_code != 200:
            raise SystemRunError(
                f"{what} failed: the wallet returned HTTP {response.status_code}: "
                f"{_page_errors(response.text)}"
            )
        return response.text

    def open(self, passphrase: str) -> bool:
        """Create the wallet with ``passphrase``, or unlock it; return True when created."""
        exists = self.http.get("/setup").url.path.startswith("/unlock")
        if exists:
            self._post(
                "/unlock",
                {"passphrase": passphrase, "next": "/"},
                what="unlocking the wallet",
            )
        else:
            self._post(
                "/setup",
                {"passphrase": passphrase, "confirm": passphrase},
                what="setting up the wallet",
            )
        return not exists

    def holder_did(self) -> str:
        """Return the holder DID shown on the portfolio page."""
        page = self._get("/")
        match = re.search(r"did:key:z[1-9A-HJ-NP-Za-km-z]+", page)
        if match is None:
            raise SystemRunError("the wallet's portfolio page shows no did:key DID")
        return match.group(0)

    def receive(self, offer_link: str, *, tx_code: str | None) -> ReceivedOffer:
        """Paste an offer link, confirm it with the transaction code, and return the result."""
        csrf = self._csrf(self._get("/receive"))
        confirm = self._post(
            "/receive",
            {"csrf": csrf, "offer": offer_link},
            what="opening the credential offer",
        )
        data: dict[str, str | list[str]] = {
            "csrf": self._csrf(confirm),
            "offer": form_values(confirm, "offer")[0],
        }
        if tx_code is not None:
            data["tx_code"] = tx_code
        page = self._post("/receive/accept", data, what="accepting the offer")
        if "Verified and stored" not in page and "Already in your wallet" not in page:
            raise SystemRunError(
                f"the wallet did not store the offered credential: {_page_errors(page)}"
            )
        links = re.findall(r'<a href="/credentials/([^"]+)">([^<]+)</a>', page)
        stored = {html.unescape(i): html.unescape(n) for i, n in links}
        return ReceivedOffer(stored=stored, page=page)

    def answer_request(
        self, request_link: str, *, wallet_ids: set[str] | None = None
    ) -> list[str]:
        """Open an OpenID4VP request link, tick the matching credentials, and send.

        ``wallet_ids`` limits what is sent to those credentials; by default
        every matching credential stays ticked, as the page offers. Returns
        the ``query id|credential id`` values that were sent.
        """
        csrf = self._csrf(self._get("/present"))
        choose = self._post(
            "/present",
            {"csrf": csrf, "link": request_link},
            what="opening the verifier's request",
        )
        picks = form_values(choose, "pick")
        if wallet_ids is not None:
            picks = [p for p in picks if p.partition("|")[2] in wallet_ids]
        if not picks:
            raise SystemRunError(
                "none of the wallet's credentials matches the verifier's request"
            )
        self._post(
            "/present/send",
            {
                "csrf": self._csrf(choose),
                "link": form_values(choose, "link")[0],
                "pick": picks,
            },
            what="sending the presentation",
        )
        return picks

    def credential_ids(self) -> dict[str, str]:
        """Return the wallet's credentials as ``{wallet id: name}`` from the share page."""
        page = self._get("/share")
        names = {}
        for tag in _INPUT.findall(page):
            attributes = _attributes(tag)
            if attributes.get("name") == "id" and "value" in attributes:
                label = re.search(
                    rf'for="{re.escape("id-" + attributes["value"])}"[^>]*>([^<]+)<',
                    page,
                )
                names[attributes["value"]] = (
                    html.unescape(label.group(1)).strip() if label else ""
                )
        return names

    def create_share(self, wallet_ids: list[str], *, days: int = 7) -> tuple[str, str]:
        """Create a share link for ``wallet_ids``; return (the QR's target URL, the page)."""
        csrf = self._csrf(self._get("/share"))
        page = self._post(
            "/share",
            {"csrf": csrf, "id": wallet_ids, "days": str(days)},
            what="creating a share link",
        )
        match = re.search(r'id="share-target" href="([^"]+)"', page)
        if match is None:
            raise SystemRunError("the wallet's share page shows no share link")
        return html.unescape(match.group(1)), page
