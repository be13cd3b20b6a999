"""``vcwork verifier``: run the employer's verifier agent."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from .settings import Settings, load_trust_list, parse_evm_account, parse_evm_node

__all__ = ["cli"]

cli = typer.Typer(help="The employer's verifier agent.", no_args_is_help=True)


@cli.command("serve")
def serve(
    data_dir: Path = typer.Option(
        Path("verifier-data"), "--data-dir", help="Folder for the SQLite database."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8030, "--port", help="TCP port to listen on."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL; default: SQLite in the data directory.",
    ),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        help="Base URL wallets and browsers use; default: http://HOST:PORT.",
    ),
    trust_list: Path | None = typer.Option(
        None, "--trust-list", help='JSON file {"issuers": [{"id": DID, "name": ...}]}.'
    ),
    name: str = typer.Option(
        "Employer verifier", "--name", help="Name shown on pages and to wallets."
    ),
    allow_http_loopback: bool = typer.Option(
        False,
        "--allow-http-loopback",
        help="Fetch DIDs, status lists and share links on loopback hosts over plain http (local runs only).",
    ),
    workers: int = typer.Option(1, "--workers", help="Number of worker processes."),
    rate_limit: int = typer.Option(
        120, "--rate-limit", help="Requests allowed per client IP address per minute."
    ),
    evm_node: list[str] = typer.Option(
        [],
        "--evm-node",
        help="CHAIN_ID=URL of an EVM node's JSON-RPC endpoint used to check anchors "
        "on that chain, e.g. 31337=http://127.0.0.1:8545; repeat for more chains.",
    ),
    evm_account: list[str] = typer.Option(
        [],
        "--evm-account",
        help="ISSUER_DID=eip155:CHAIN_ID:0xADDRESS: an account allowed to send that "
        "issuer's anchors; repeatable. Default: the accounts in the issuer's DID "
        "document.",
    ),
) -> None:
    """Start the verifier agent with uvicorn."""
    import os

    import uvicorn

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        trusted = load_trust_list(trust_list) if trust_list else ()
        settings = Settings(
            data_dir=data_dir,
            host=host,
            port=port,
            database_url=database_url,
            public_base_url=public_url or f"http://{host}:{port}",
            verifier_name=name,
            trusted_issuers=trusted,
            allow_http_loopback=allow_http_loopback,
            rate_limit_requests=rate_limit,
            evm_nodes=tuple(parse_evm_node(value) for value in evm_node),
            evm_accounts=tuple(parse_evm_account(value) for value in evm_account),
        )
    except ValueError as e:
        typer.secho(f"error: {e}", err=True, fg="red")
        raise typer.Exit(2) from e
    if workers > 1:
        # Each worker process builds its own app from these settings.
        os.environ["VCWORK_VERIFIER_SETTINGS"] = _encode(settings)
        uvicorn.run(
            "verifier_agent.cli:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    from .app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _encode(settings: Settings) -> str:
    import json

    return json.dumps(
        {
            "data_dir": str(settings.data_dir),
            "host": settings.host,
            "port": settings.port,
            "database_url": settings.database_url,
            "public_base_url": settings.public_base_url,
            "verifier_name": settings.verifier_name,
            "trusted_issuers": [
                [t.id, t.name, t.url] for t in settings.trusted_issuers
            ],
            "allow_http_loopback": settings.allow_http_loopback,
            "rate_limit_requests": settings.rate_limit_requests,
            "evm_nodes": [list(pair) for pair in settings.evm_nodes],
            "evm_accounts": [list(pair) for pair in settings.evm_accounts],
        }
    )


def app_from_environment():  # type: ignore[no-untyped-def]
    """Build the app in a uvicorn worker from the settings the parent encoded."""
    import json
    import os

    from .app import create_app
    from .settings import TrustedIssuer

    data = json.loads(os.environ["VCWORK_VERIFIER_SETTINGS"])
    data["data_dir"] = Path(data["data_dir"])
    data["trusted_issuers"] = tuple(TrustedIssuer(*t) for t in data["trusted_issuers"])
    data["evm_nodes"] = tuple((int(c), str(u)) for c, u in data["evm_nodes"])
    data["evm_accounts"] = tuple((str(d), str(a)) for d, a in data["evm_accounts"])
    return create_app(Settings(**data))
