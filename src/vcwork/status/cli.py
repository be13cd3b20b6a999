"""``vcwork status``: allocate entries, change status and publish status lists.

Every command works on a SQLite database file (``--db``). Results are JSON on
stdout; bad input raises :class:`vcwork.errors.VcworkError` subclasses, which
the ``vcwork`` command reports with exit code 2.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from ..errors import MalformedValueError

__all__ = ["status_app"]

status_app = typer.Typer(
    help="Bitstring Status List: allocate status entries, revoke, suspend, "
    "reinstate and publish status list credentials.",
    no_args_is_help=True,
)

_DB_HELP = "SQLite database file of the status lists (created if missing)."
_KEY_HELP = "Issuer key pair file (Multikey JSON from 'vcwork keys generate')."
_BASE_HELP = "URL under which new status lists are published, e.g. https://issuer.example/status."
_VALID_FOR_HELP = (
    "Days each signed status list stays valid (validUntil); default: no expiry."
)
_TTL_HELP = (
    "Seconds verifiers may cache a status list (written as ttl in milliseconds)."
)


def _load_key(path: Path) -> Any:
    from ..keys import Ed25519KeyPair

    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise MalformedValueError(f"key file not found: {path}") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedValueError(f"cannot read the key file {path}: {e}") from e
    key_pair = Ed25519KeyPair.from_multikey(data)
    if not key_pair.controller:
        from ..did import create_did_key

        create_did_key(key_pair)
    return key_pair


def _open_store(
    db: Path,
    *,
    key: Path | None,
    base_url: str | None = None,
    valid_for_days: float | None = None,
    ttl_seconds: float | None = None,
) -> Any:
    from .store import StatusListStore, sqlite_url

    if valid_for_days is not None and not 0 < valid_for_days <= 3650:
        raise MalformedValueError(
            f"--valid-for-days must be between 0 and 3650, got {valid_for_days}",
            property="--valid-for-days",
        )
    if ttl_seconds is not None and not 0 < ttl_seconds <= 31_536_000:
        raise MalformedValueError(
            f"--ttl must be between 0 and 31536000 seconds, got {ttl_seconds}",
            property="--ttl",
        )
    return StatusListStore(
        sqlite_url(db),
        # Existing lists keep their stored URL; the base URL only names new ones.
        list_base_url=base_url or "https://status.invalid",
        key_pair=_load_key(key) if key is not None else None,
        valid_for=timedelta(days=valid_for_days) if valid_for_days else None,
        ttl=timedelta(seconds=ttl_seconds) if ttl_seconds else None,
    )


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


@status_app.command("allocate")
def allocate(
    credential_id: str = typer.Argument(..., help="Id of the credential to issue."),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    base_url: str = typer.Option(..., "--base-url", help=_BASE_HELP),
    purpose: list[str] = typer.Option(
        ["revocation"],
        "--purpose",
        help="Status purpose; repeat for several entries (revocation, suspension).",
    ),
    key: Path | None = typer.Option(
        None, "--key", help=_KEY_HELP + " Signs a newly opened list."
    ),
) -> None:
    """Allocate status entries for a credential; prints the credentialStatus value."""
    store = _open_store(db, key=key, base_url=base_url)
    entries = [
        store.allocate(credential_id, status_purpose=p).to_json() for p in purpose
    ]
    _print(entries[0] if len(entries) == 1 else entries)


def _change(
    action: str, credential_ids: list[str], db: Path, key: Path, **options: Any
) -> None:
    store = _open_store(db, key=key, **options)
    change = getattr(store, f"{action}_many")(credential_ids)
    _print(
        {
            "changed": list(change.changed),
            "unchanged": list(change.unchanged),
            "resigned": sorted(change.status_list_credentials),
        }
    )
    if change.status_list_credentials:
        typer.echo(
            "the lists above were re-signed in the database; serve the new "
            "credentials (vcwork status publish) so verifiers see the change",
            err=True,
        )


@status_app.command("revoke")
def revoke(
    credential_ids: list[str] = typer.Argument(
        ..., help="Ids of the credentials to revoke."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
    valid_for_days: float | None = typer.Option(
        None, "--valid-for-days", help=_VALID_FOR_HELP
    ),
    ttl_seconds: float | None = typer.Option(None, "--ttl", help=_TTL_HELP),
) -> None:
    """Revoke credentials (final) and re-sign their status lists."""
    _change(
        "revoke",
        credential_ids,
        db,
        key,
        valid_for_days=valid_for_days,
        ttl_seconds=ttl_seconds,
    )


@status_app.command("suspend")
def suspend(
    credential_ids: list[str] = typer.Argument(
        ..., help="Ids of the credentials to suspend."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
    valid_for_days: float | None = typer.Option(
        None, "--valid-for-days", help=_VALID_FOR_HELP
    ),
    ttl_seconds: float | None = typer.Option(None, "--ttl", help=_TTL_HELP),
) -> None:
    """Suspend credentials and re-sign their status lists."""
    _change(
        "suspend",
        credential_ids,
        db,
        key,
        valid_for_days=valid_for_days,
        ttl_seconds=ttl_seconds,
    )


@status_app.command("reinstate")
def reinstate(
    credential_ids: list[str] = typer.Argument(
        ..., help="Ids of suspended credentials."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
    valid_for_days: float | None = typer.Option(
        None, "--valid-for-days", help=_VALID_FOR_HELP
    ),
    ttl_seconds: float | None = typer.Option(None, "--ttl", help=_TTL_HELP),
) -> None:
    """Lift suspensions (a revoked credential cannot be reinstated)."""
    _change(
        "reinstate",
        credential_ids,
        db,
        key,
        valid_for_days=valid_for_days,
        ttl_seconds=ttl_seconds,
    )


@status_app.command("show")
def show(
    credential_id: str | None = typer.Argument(
        None, help="Credential id; without it, every status list is listed."
    ),
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
) -> None:
    """Show a credential's entries and status values, or a summary of every list."""
    if not db.is_file():
        raise MalformedValueError(f"status list database not found: {db}")
    store = _open_store(db, key=None)
    if credential_id is None:
        _print([info.to_json() for info in store.lists()])
        return
    entries = store.entries(credential_id)
    if not entries:
        raise MalformedValueError(
            f"no status entry for {credential_id!r} in {db}; allocate one first",
            value=credential_id,
        )
    _print([{"entry": entry.to_json(), "status": status} for entry, status in entries])


@status_app.command("publish")
def publish(
    db: Path = typer.Option(..., "--db", help=_DB_HELP),
    key: Path = typer.Option(..., "--key", help=_KEY_HELP),
    out: Path = typer.Option(
        ..., "--out", "-o", help="File for the signed status list credential."
    ),
    list_url: str | None = typer.Option(
        None,
        "--list",
        help="URL of the list to publish; needed when the store has several.",
    ),
    valid_for_days: float | None = typer.Option(
        None, "--valid-for-days", help=_VALID_FOR_HELP
    ),
    ttl_seconds: float | None = typer.Option(None, "--ttl", help=_TTL_HELP),
) -> None:
    """Re-sign a status list credential and write it to a file, to serve at its URL."""
    store = _open_store(
        db, key=key, valid_for_days=valid_for_days, ttl_seconds=ttl_seconds
    )
    if list_url is None:
        urls = [info.url for info in store.lists()]
        if len(urls) != 1:
            raise MalformedValueError(
                f"the store has {len(urls)} status lists; choose one with --list "
                f"({', '.join(urls) or 'allocate an entry first'})"
            )
        list_url = urls[0]
    credential = store.publish(list_url)[list_url]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(credential, indent=2) + "\n", "utf-8")
    typer.echo(f"wrote {out}", err=True)
    _print({"url": list_url, "file": str(out)})
