"""``vcwork issuer``: run the issuer agent and manage its keys and rosters.

Registered by the ``vcwork`` command as ``vcwork issuer ...``; also runnable
as ``python -m issuer_agent.cli``.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
from pathlib import Path
from typing import Any

import typer

from .settings import DEFAULT_PORT, Settings

__all__ = ["cli"]

cli = typer.Typer(
    help="The issuer agent: a program's service for issuing micro-credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = typer.Option(
    Path("issuer-data"), "--data-dir", help="Directory for the database and key files."
)
DatabaseUrl = typer.Option(
    None,
    "--database-url",
    help="SQLAlchemy database URL; default: SQLite file issuer.db in the data directory.",
)
BaseUrl = typer.Option(
    None,
    "--public-base-url",
    help="URL wallets and verifiers use to reach the agent; fixes the did:web DID. "
    "Default: http://localhost:PORT (https with --tls-cert).",
)
EvmRpcUrl = typer.Option(
    None,
    "--evm-rpc-url",
    envvar="VCWORK_ISSUER_EVM_RPC_URL",
    help="JSON-RPC URL of an EVM node; anchor batches on its chain instead of the "
    "embedded log. Must be https unless --evm-allow-http-loopback is set.",
)
EvmAllowHttpLoopback = typer.Option(
    False,
    "--evm-allow-http-loopback",
    help="Allow a plain http EVM node URL on localhost or a loopback address "
    "(local runs and tests only).",
)
EvmAccountKeyFile = typer.Option(
    None,
    "--evm-account-key-file",
    envvar="VCWORK_ISSUER_EVM_ACCOUNT_KEY_FILE",
    help="File containing the issuer's EVM private key (64 hex digits). Default: the "
    "environment variable VCWORK_ISSUER_EVM_ACCOUNT_KEY.",
)


def _settings(
    data_dir: Path,
    database_url: str | None,
    public_base_url: str | None,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    **anchoring: Any,
) -> Settings:
    try:
        return _build_settings(
            data_dir,
            database_url,
            public_base_url,
            port,
            host,
            tls_cert,
            tls_key,
            **anchoring,
        )
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _build_settings(
    data_dir: Path,
    database_url: str | None,
    public_base_url: str | None,
    port: int,
    host: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    **anchoring: Any,
) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_base_url=public_base_url,
        host=host,
        port=port,
        tls_certfile=tls_cert,
        tls_keyfile=tls_key,
        **anchoring,
    )


def _service(settings: Settings) -> Any:
    from .service import IssuerService

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return IssuerService(settings)


def _connect_evm(settings: Settings) -> Any:
    """Connect to the configured EVM node, or exit with status 2 and the reason."""
    from .anchoring import EvmSettingsError, connect_evm_anchoring

    try:
        return connect_evm_anchoring(settings)
    except EvmSettingsError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    data_dir: Path = DataDir,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="TCP port to listen on."),
    database_url: str | None = DatabaseUrl,
    public_base_url: str | None = BaseUrl,
    workers: int = typer.Option(
        1, "--workers", min=1, help="Number of worker processes."
    ),
    tls_cert: Path | None = typer.Option(
        None, "--tls-cert", help="PEM certificate file; serves HTTPS when set."
    ),
    tls_key: Path | None = typer.Option(
        None, "--tls-key", help="PEM private key file."
    ),
    self_signed: bool = typer.Option(
        False,
        "--self-signed",
        help="Create (once) a self-signed certificate for localhost in the data "
        "directory and serve HTTPS with it.",
    ),
    log_level: str = typer.Option("info", "--log-level", help="Logging level."),
    anchor_batch_size: int = typer.Option(
        10_000,
        "--anchor-batch-size",
        min=1,
        help="Close an anchor batch when this many delivered credentials wait.",
    ),
    anchor_batch_age: float = typer.Option(
        600.0,
        "--anchor-batch-age",
        min=0,
        help="Close an anchor batch when its oldest credential has waited this many "
        "seconds.",
    ),
    anchor_close_interval: float = typer.Option(
        30.0,
        "--anchor-close-interval",
        min=0,
        help="Seconds between checks for due anchor batches; 0 turns the check off.",
    ),
    status_list_max_age: int = typer.Option(
        300,
        "--status-list-max-age",
        min=0,
        help="Cache-Control max-age of status lists in seconds: how long verifiers "
        "may keep a list, and so how late they may see a revocation.",
    ),
    evm_rpc_url: str | None = EvmRpcUrl,
    evm_allow_http_loopback: bool = EvmAllowHttpLoopback,
    evm_account_key_file: Path | None = EvmAccountKeyFile,
) -> None:
    """Start the issuer agent with uvicorn."""
    import uvicorn

    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if self_signed:
        from .tls import ensure_self_signed_certificate

        data_dir.mkdir(parents=True, exist_ok=True)
        tls_cert, tls_key = ensure_self_signed_certificate(data_dir)
    if (tls_cert is None) != (tls_key is None):
        typer.echo("error: pass both --tls-cert and --tls-key", err=True)
        raise typer.Exit(2)
    settings = _settings(
        data_dir,
        database_url,
        public_base_url,
        port,
        host,
        tls_cert,
        tls_key,
        anchor_batch_size=anchor_batch_size,
        anchor_batch_age=anchor_batch_age,
        anchor_close_interval=anchor_close_interval,
        status_list_max_age=status_list_max_age,
        evm_rpc_url=evm_rpc_url,
        evm_allow_http_loopback=evm_allow_http_loopback,
        evm_account_key_file=evm_account_key_file,
    )
    # Check the key and the node before any worker starts, so that a wrong
    # setting stops the command with its reason instead of failing each worker.
    _connect_evm(settings)
    ssl = {}
    if tls_cert is not None and tls_key is not None:
        ssl = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
    if workers > 1:
        # Worker processes rebuild the settings from the environment.
        os.environ.update(settings.to_env())
        uvicorn.run(
            "issuer_agent.app_factory:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            **ssl,  # type: ignore[arg-type]
        )
        return
    from .app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, **ssl)  # type: ignore[arg-type]


@cli.command("create-api-key")
def create_api_key_command(
    name: str = typer.Option(..., "--name", help="Who uses the key, e.g. 'registrar'."),
    data_dir: Path = DataDir,
    database_url: str | None = DatabaseUrl,
    public_base_url: str | None = BaseUrl,
) -> None:
    """Create a staff API key and print it once; only its SHA-256 digest is stored."""
    from .db import Database
    from .keystore import create_api_key

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = _settings(data_dir, database_url, public_base_url)
    database = Database(settings.resolved_database_url)
    try:
        key = create_api_key(database, name=name)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.close()
    typer.echo(key)


@cli.command("rotate-key")
def rotate_key(
    data_dir: Path = DataDir,
    database_url: str | None = DatabaseUrl,
    public_base_url: str | None = BaseUrl,
    port: int = typer.Option(
        DEFAULT_PORT, "--port", help="Port of the default base URL."
    ),
) -> None:
    """Create a new signing key; old keys stay in the DID document for verification."""
    service = _service(_settings(data_dir, database_url, public_base_url, port))
    try:
        typer.echo(service.rotate_key())
    finally:
        service.close()


@cli.command("anchor-close")
def anchor_close(
    data_dir: Path = DataDir,
    database_url: str | None = DatabaseUrl,
    public_base_url: str | None = BaseUrl,
    port: int = typer.Option(
        DEFAULT_PORT, "--port", help="Port of the default base URL."
    ),
    due_only: bool = typer.Option(
        False,
        "--due-only",
        help="Close only batches that are full or old enough (for a timer job).",
    ),
    batch_size: int = typer.Option(
        10_000, "--batch-size", min=1, help="Batch size that makes a batch due."
    ),
    batch_age: float = typer.Option(
        600.0, "--batch-age", min=0, help="Age in seconds that makes a batch due."
    ),
    evm_rpc_url: str | None = EvmRpcUrl,
    evm_allow_http_loopback: bool = EvmAllowHttpLoopback,
    evm_account_key_file: Path | None = EvmAccountKeyFile,
) -> None:
    """Anchor the delivered credentials that wait for a batch, and print the batches.

    Safe while the agent runs: a lease in the database lets one process close
    batches at a time. Exit code 0 on success (also when nothing waited), 1
    when another process is closing batches, 2 when closing failed. Pass
    the agent's EVM options when it anchors on an EVM chain, because without
    them this command anchors in the embedded log.
    """
    import json

    from vcwork.errors import VcworkError

    from .anchoring import CloseBusyError

    settings = _settings(
        data_dir,
        database_url,
        public_base_url,
        port,
        anchor_batch_size=batch_size,
        anchor_batch_age=batch_age,
        evm_rpc_url=evm_rpc_url,
        evm_allow_http_loopback=evm_allow_http_loopback,
        evm_account_key_file=evm_account_key_file,
    )
    evm = _connect_evm(settings)
    service = _service(settings)
    service.anchoring.use_evm(evm)
    try:
        closed = service.anchoring.close_batches(due_only=due_only)
    except CloseBusyError as e:
        typer.echo(f"error: {e.detail}", err=True)
        raise typer.Exit(1) from None
    except VcworkError as e:
        typer.echo(f"error: closing anchor batches failed: {e.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        service.close()
    typer.echo(json.dumps({"closed": [batch.to_json() for batch in closed]}, indent=2))


@cli.command("import-roster")
def import_roster(
    roster: Path = typer.Argument(
        ..., help="CSV file, one row per participant record."
    ),
    data_dir: Path = DataDir,
    database_url: str | None = DatabaseUrl,
    public_base_url: str | None = BaseUrl,
    port: int = typer.Option(
        DEFAULT_PORT, "--port", help="Port of the default base URL."
    ),
    actor: str = typer.Option("cli", "--actor", help="Name recorded in the audit log."),
) -> None:
    """Issue a cohort's credentials from a CSV roster, with a progress bar.

    Exit code 0 when every row was issued, 1 when some rows failed (each is
    listed with its error), 2 when the file cannot be read.
    """
    from rich.progress import Progress

    from .roster import import_roster_rows

    try:
        with roster.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        typer.echo(f"error: cannot read roster {roster}: {e}", err=True)
        raise typer.Exit(2) from None
    service = _service(_settings(data_dir, database_url, public_base_url, port))
    try:
        with Progress(transient=False) as progress:
            task = progress.add_task("Issuing", total=len(rows))
            results = import_roster_rows(
                service, rows, actor=actor, on_row=lambda _n, _r: progress.advance(task)
            )
    finally:
        service.close()
    failed = [r for r in results if not r["ok"]]
    typer.echo(f"{len(results) - len(failed)} of {len(results)} rows issued")
    for result in failed:
        typer.echo(f"row {result['row']}: {result['error']}", err=True)
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
