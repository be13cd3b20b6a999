"""``vcwork anchor``: queue credentials, close batches, show receipts and tree heads, verify.

Every command works on a SQLite database file (``--db``) that contains both the
batch queue and the embedded transparency log. Results are JSON on stdout.
Bad input raises :class:`vcwork.errors.VcworkError` subclasses, which the
``vcwork`` command reports with exit code 2. ``verify`` exits with 0 when the
anchor check passed and 1 when it failed or could not be checked.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from ..errors import MalformedValueError

__all__ = ["anchor_app"]

anchor_app = typer.Typer(
    help="Ledger anchoring: batch issued credentials into Merkle trees, write each "
    "root to the embedded transparency log, show receipts and verify them.",
    no_args_is_help=True,
)

_DB_HELP = "SQLite database file of the anchor queue and log (created if missing)."
_KEY_HELP = "Issuer key pair file (Multikey JSON from 'vcwork keys generate'); signs tree heads."
_MAX_SIZE_HELP = "Maximum number of credentials in a batch."
_MAX_AGE_HELP = (
    "Minutes the oldest waiting credential may wait before its batch closes."
)


def _read_json(path: Path, kind: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise MalformedValueError(f"{kind} file not found: {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise MalformedValueError(f"cannot read the {kind} file {path}: {e}") from e
    except json.JSONDecodeError as e:
        raise MalformedValueError(
            f"the {kind} file {path} is not valid JSON (line {e.lineno}, column "
            f"{e.colno}: {e.msg})"
        ) from e


def _read_object(path: Path, kind: str) -> dict[str, Any]:
    data = _read_json(path, kind)
    if not isinstance(data, dict):
        raise MalformedValueError(
            f"the {kind} file {path} must hold a JSON object, got a JSON {type(data).__name__}"
        )
    return data


def _load_key(path: Path) -> Any:
    from ..did import create_did_key
    from ..keys import Ed25519KeyPair

    key_pair = Ed25519KeyPair.from_multikey(_read_json(path, "key"))
    if not key_pair.controller:
        create_did_key(key_pair)
    return key_pair


def _open_log(db: Path, key: Path | None) -> Any:
    from .log import AnchorLog

    if key is None and not db.is_file():
        raise MalformedValueError(
            f"anchor database file not found: {db}; create it with 'vcwork anchor add'"
        )
    return AnchorLog(
        f"sqlite:///{db}", key_pair=_load_key(key) if key is not None else None
    )


def _open_batcher(
    db: Path, key: Path | None, max_size: int, max_age_minutes: float
) -> Any:
    from .batcher import AnchorBatcher

    return AnchorBatcher(
        f"sqlite:///{db}",
        _open_log(db, key),
        max_batch_size=max_size,
        max_batch_age=timedelta(minutes=max_age_minutes),
    )


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


@anchor_app.command("add")
def add(
    credentials: list[Path] = typer.Argument(
        ..., help="Signed credential JSON files to queue."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
) -> None:
    """Queue signed credentials for the next batch; prints each credential digest."""
    batcher = _open_batcher(db, key, 10_000, 10.0)
    queued = []
    for path in credentials:
        credential = _read_object(path, "credential")
        queued.append(
            {"file": str(path), "credentialDigest": batcher.add(credential).hex()}
        )
    _print({"queued": queued, "pending": batcher.pending_count})


@anchor_app.command("close")
def close(
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
    due_only: bool = typer.Option(
        False,
        "--due-only",
        help="Close only batches that are due by size or age, instead of one batch now.",
    ),
    max_size: int = typer.Option(10_000, "--max-size", min=1, help=_MAX_SIZE_HELP),
    max_age_minutes: float = typer.Option(10.0, "--max-age", min=0, help=_MAX_AGE_HELP),
) -> None:
    """Close a batch and write its root to the log; prints the anchored batches."""
    batcher = _open_batcher(db, key, max_size, max_age_minutes)
    if due_only:
        batches = batcher.close_due()
    else:
        batches = batcher.resume()
        closed = batcher.close_batch()
        if closed is not None:
            batches.append(closed)
    _print(
        {"anchored": [b.to_json() for b in batches], "pending": batcher.pending_count}
    )


@anchor_app.command("receipt")
def receipt(
    credential: str = typer.Argument(
        ..., help="A credential JSON file, or the id of a queued credential."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
) -> None:
    """Print a credential's anchor receipt (its proof of inclusion and ledger record)."""
    batcher = _open_batcher(db, None, 10_000, 10.0)
    path = Path(credential)
    target: Any = _read_object(path, "credential") if path.is_file() else credential
    found = batcher.receipt(target)
    if found is None:
        raise MalformedValueError(
            f"the credential {credential} is queued but its batch is not anchored yet; "
            "run 'vcwork anchor close' first",
            value=credential,
        )
    _print(found)


@anchor_app.command("verify")
def verify(
    credential: Path = typer.Argument(..., help="The signed credential JSON file."),
    receipt_file: Path = typer.Option(
        ..., "--receipt", help="The anchor receipt JSON file."
    ),
    db: Path = typer.Option(
        ..., "--db", help="SQLite database file of the issuer's log."
    ),
) -> None:
    """Check a credential's anchor receipt against the log; exit 0 only when it passed."""
    from .checker import AnchorChecker

    document = _read_object(credential, "credential")
    receipt_data = _read_object(receipt_file, "receipt")
    log = _open_log(db, None)
    check = AnchorChecker(logs={log.log_id: log}).check(document, receipt_data)
    _print(check.to_json())
    if check.outcome != "passed":
        raise typer.Exit(1)


@anchor_app.command("tree-head")
def tree_head(
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    size: int | None = typer.Option(
        None,
        "--size",
        min=1,
        help="Show the tree head signed at this tree size (default: latest).",
    ),
) -> None:
    """Print the log's latest signed tree head, or the one of a given size."""
    _print(_open_log(db, None).get_tree_head(size))


@anchor_app.command("consistency")
def consistency(
    first: int = typer.Argument(..., min=0, help="The earlier tree size."),
    second: int | None = typer.Argument(
        None, min=0, help="The later tree size (default: latest)."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
) -> None:
    """Print the consistency proof between two tree sizes of the log."""
    _print(_open_log(db, None).get_consistency_proof(first, second))
