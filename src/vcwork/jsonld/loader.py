"""A JSON-LD document loader that serves bundled contexts and nothing else by default.

The contexts under ``contexts/`` are listed in ``contexts.json`` with the
SHA-256 of each file's bytes. Every file is checked against that digest the
first time it is loaded. Any other URL fails with a :class:`DocumentLoaderError`
that names it, unless the caller registered a document for it or allowed a
remote source explicitly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import DocumentLoaderError

__all__ = [
    "BundledDocumentLoader",
    "RemoteDocument",
    "bundled_contexts_dir",
    "default_loader",
]

logger = logging.getLogger(__name__)

RemoteDocument = dict[str, Any]
"""pyld's remote document shape: ``contextUrl``, ``documentUrl``, ``document``."""

Fetcher = Callable[[str], Any]


def bundled_contexts_dir() -> Path:
    """Return the folder holding the bundled contexts and ``contexts.json``.

    An installed wheel carries them inside the package; a source checkout
    (editable install) reads the repository's top-level ``contexts/``.
    """
    packaged = resources.files("vcwork") / "_bundled_contexts"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "contexts"
    if (checkout / "contexts.json").is_file():
        return checkout
    raise DocumentLoaderError(
        "bundled JSON-LD contexts not found: reinstall vcwork "
        "(expected vcwork/_bundled_contexts or contexts/ in the source tree)"
    )


class BundledDocumentLoader:
    """Load JSON-LD documents from the bundled, digest-pinned contexts.

    ``extra_documents`` maps further URLs to already-parsed documents (a DID
    document, a test fixture). ``allow_remote`` lists URL prefixes that
    ``fetcher`` may load over the network. It is empty by default, so the
    loader uses the network only when a caller configures it.
    """

    def __init__(
        self,
        *,
        extra_documents: Mapping[str, Any] | None = None,
        allow_remote: Iterable[str] = (),
        fetcher: Fetcher | None = None,
        contexts_dir: Path | None = None,
    ) -> None:
        self._dir = contexts_dir
        self._manifest: dict[str, dict[str, Any]] | None = None
        self._cache: dict[str, Any] = {}
        self._extra = dict(extra_documents or {})
        self._allow_remote = tuple(allow_remote)
        if self._allow_remote and fetcher is None:
            raise ValueError("allow_remote needs a fetcher that loads the URL")
        self._fetcher = fetcher
        self._lock = threading.Lock()

    # pyld calls the loader as loader(url, options).
    def __call__(self, url: str, options: Any = None) -> RemoteDocument:
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": self.load(url),
        }

    @property
    def urls(self) -> list[str]:
        """URLs this loader serves without the network."""
        return sorted(set(self._load_manifest()) | set(self._extra))

    def add_document(self, url: str, document: Any) -> None:
        """Serve ``document`` for ``url`` from now on."""
        with self._lock:
            self._extra[url] = document
            self._cache.pop(url, None)

    def load(self, url: str) -> Any:
        """Return the parsed JSON document for ``url``."""
        cached = self._cache.get(url)
        if cached is not None:
            return cached
        if url in self._extra:
            return self._extra[url]
        manifest = self._load_manifest()
        entry = manifest.get(url)
        if entry is not None:
            document = self._read_bundled(url, entry)
        elif any(url.startswith(prefix) for prefix in self._allow_remote):
            assert self._fetcher is not None
            logger.debug("fetching allow-listed JSON-LD document %s", url)
            document = self._fetcher(url)
        else:
            raise DocumentLoaderError(
                f"JSON-LD document {url!r} is not bundled with vcwork and remote "
                "loading is off; add the context to the loader "
                "(extra_documents=) or allow its URL prefix (allow_remote=)",
                property="@context",
                value=url,
            )
        with self._lock:
            self._cache[url] = document
        return document

    def _load_manifest(self) -> dict[str, dict[str, Any]]:
        if self._manifest is None:
            folder = self._dir or bundled_contexts_dir()
            self._dir = folder
            try:
                data = json.loads((folder / "contexts.json").read_text("utf-8"))
                self._manifest = dict(data["contexts"])
            except (OSError, ValueError, KeyError) as e:
                raise DocumentLoaderError(
                    f"cannot read the bundled context manifest in {folder}: {e}"
                ) from e
        return self._manifest

    def _read_bundled(self, url: str, entry: Mapping[str, Any]) -> Any:
        assert self._dir is not None
        path = self._dir / entry["file"]
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise DocumentLoaderError(
                f"bundled context for {url!r} is missing ({path.name}): {e}"
            ) from e
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise DocumentLoaderError(
                f"bundled context {path.name} for {url!r} has sha256 {digest}, "
                f"expected {entry['sha256']}; the file was altered, reinstall vcwork",
                value=url,
            )
        return json.loads(raw)


_default: BundledDocumentLoader | None = None


def default_loader() -> BundledDocumentLoader:
    """Return the process-wide loader of bundled contexts (no network)."""
    global _default
    if _default is None:
        _default = BundledDocumentLoader()
    return _default
