"""``vcwork wallet``: the wallet's functions on the command line, and ``serve`` for the web app.

Every command works on one data directory. Commands that open the wallet
read the passphrase from ``VCWORK_WALLET_PASSPHRASE`` or prompt for it.
Results go to stdout, problems to stderr with exit code 1.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from vcwork.errors import VcworkError

from .portfolio import build_portfolio, summarize
from .service import WalletService
from .settings import DEFAULT_PORT, Settings
from .store import UnlockedWallet

__all__ = ["cli"]

cli = typer.Typer(
    help="The participant wallet: receive, keep and share micro-credentials.",
    no_args_is_help=True,
)

DATA_DIR = typer.Option(
    Path("vcwork-wallet"), "--data-dir", "-d", help="Folder for the wallet's database."
)
DATABASE_URL = typer.Option(
    None, "--database-url", help="SQLAlchemy URL; default: SQLite in the data folder."
)
PASSPHRASE = typer.Option(
    ...,
    "--passphrase",
    envvar="VCWORK_WALLET_PASSPHRASE",
    prompt=True,
    hide_input=True,
    help="The wallet passphrase (or set VCWORK_WALLET_PASSPHRASE).",
)
HTTP_LOOPBACK = typer.Option(
    False,
    "--allow-http-loopback",
    help="Allow plain http to issuers and verifiers on loopback (development only).",
)


def _settings(
    data_dir: Path, database_url: str | None, loopback: bool = False
) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database_url, allow_http_loopback=loopback
    )


@contextmanager
def _service(settings: Settings) -> Iterator[WalletService]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = WalletService(settings)
    try:
        yield service
    except VcworkError as e:
        typer.secho(f"error: {e.detail}", err=True, fg="red")
        raise typer.Exit(1) from None
    finally:
        service.close()


@contextmanager
def _wallet(
    settings: Settings, passphrase: str
) -> Iterator[tuple[WalletService, UnlockedWallet]]:
    with _service(settings) as service:
        yield service, service.store.unlock(passphrase)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
def serve(
    data_dir: Path = DATA_DIR,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(DEFAULT_PORT, help="TCP port to listen on."),
    database_url: str | None = DATABASE_URL,
    public_base_url: str | None = typer.Option(
        None, help="Public origin for share links (default: http://HOST:PORT)."
    ),
    verifier_url: str | None = typer.Option(
        None,
        help="Verifier page a share QR code opens (gets ?u=<share link>, as the vcwork verifier's /share page expects).",
    ),
    allow_http_loopback: bool = HTTP_LOOPBACK,
) -> None:
    """Run the wallet web app with uvicorn."""
    import uvicorn

    from .app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        host=host,
        port=port,
        public_base_url=public_base_url,
        verifier_url=verifier_url,
        allow_http_loopback=allow_http_loopback,
    )
    uvicorn.run(create_app(settings), host=host, port=port)


@cli.command()
def init(
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    passphrase: str = typer.Option(
        ...,
        "--passphrase",
        envvar="VCWORK_WALLET_PASSPHRASE",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The new passphrase, at least 10 characters.",
    ),
) -> None:
    """Create a wallet with a new did:key holder key."""
    with _service(_settings(data_dir, database_url)) as service:
        wallet = service.store.create(passphrase)
        typer.echo(f"created a wallet; your DID is {wallet.default_key().did}")


@cli.command()
def receive(
    offer: str = typer.Argument(..., help="The openid-credential-offer:// link."),
    tx_code: str | None = typer.Option(
        None, help="Transaction code, if the offer needs one."
    ),
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    allow_http_loopback: bool = HTTP_LOOPBACK,
    passphrase: str = PASSPHRASE,
) -> None:
    """Accept a credential offer; store each credential that verifies."""
    settings = _settings(data_dir, database_url, allow_http_loopback)
    with _wallet(settings, passphrase) as (service, wallet):
        outcome = service.receive(wallet, offer, tx_code=tx_code)
    for item in outcome.stored:
        typer.echo(f"stored {item.id}  {summarize(item).name}")
    for item in outcome.already_held:
        typer.echo(f"already held {item.id}  {summarize(item).name}")
    for rejected in outcome.rejected:
        typer.secho(f"rejected {rejected.name}:", err=True, fg="red")
        for problem in rejected.problems:
            typer.echo(f"  {problem.get('code')}: {problem.get('detail')}", err=True)
    if outcome.rejected:
        raise typer.Exit(1)


@cli.command("list")
def list_credentials(
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    passphrase: str = PASSPHRASE,
) -> None:
    """List the credentials by program, pathway and level."""
    with _wallet(_settings(data_dir, database_url), passphrase) as (_, wallet):
        items = wallet.list_credentials()
    if as_json:
        _echo_json([dataclasses.asdict(summarize(i)) for i in items])
        return
    portfolio = build_portfolio(items)
    for program in portfolio.programs:
        typer.secho(program.issuer_name, bold=True)
        for group in program.pathways.values():
            typer.echo(f"  {group.name}")
            for summary in group.summaries:
                typer.echo(
                    f"    [{summary.level or '-'}] {summary.name}  ({summary.id})"
                )
            for line in group.progress:
                typer.echo(f"    {line}")
    for summary in portfolio.endorsements:
        typer.echo(f"endorsement: {summary.name}  ({summary.id})")


@cli.command()
def show(
    credential_id: str,
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    allow_http_loopback: bool = HTTP_LOOPBACK,
    passphrase: str = PASSPHRASE,
) -> None:
    """Print a credential's JSON and its verification now (status re-checked)."""
    settings = _settings(data_dir, database_url, allow_http_loopback)
    with _wallet(settings, passphrase) as (service, wallet):
        item = service.find_credential(wallet, credential_id)
        _echo_json(
            {
                "credential": item.credential,
                "verification": service.recheck(wallet, item),
            }
        )


@cli.command()
def present(
    link: str = typer.Argument(..., help="The verifier's openid4vp:// request link."),
    credential: list[str] = typer.Option(
        [], "--credential", "-c", help="Credential id to send (default: every match)."
    ),
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    allow_http_loopback: bool = HTTP_LOOPBACK,
    passphrase: str = PASSPHRASE,
) -> None:
    """Send a signed presentation in response to a verifier's OpenID4VP request."""
    settings = _settings(data_dir, database_url, allow_http_loopback)
    with _wallet(settings, passphrase) as (service, wallet):
        pending = service.open_request(wallet, link)
        selection = {
            query_id: [i.id for i in items if not credential or i.id in credential]
            for query_id, items in pending.matches.items()
        }
        for query in pending.queries:
            if not query.multiple:
                selection[query.id] = selection.get(query.id, [])[:1]
        redirect = service.answer_request(wallet, link, selection)
    sent = sum(len(v) for v in selection.values())
    typer.echo(f"sent {sent} credentials to {pending.verifier_name}")
    if redirect:
        typer.echo(f"verifier result: {redirect}")


@cli.command()
def share(
    credential: list[str] = typer.Argument(..., help="Credential ids to share."),
    days: int = typer.Option(30, help="Days until the link expires (1-365)."),
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    public_base_url: str | None = typer.Option(
        None, help="The wallet's public origin."
    ),
    verifier_url: str | None = typer.Option(None, help="The verifier's share page."),
    passphrase: str = PASSPHRASE,
) -> None:
    """Create a share link; print the link and the URL its QR code carries."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_base_url=public_base_url,
        verifier_url=verifier_url,
    )
    with _wallet(settings, passphrase) as (service, wallet):
        link = service.create_share(wallet, credential, days=days)
    _echo_json({"id": link.record.id, "share_url": link.url, "qr": link.qr_target})


@cli.command()
def withdraw(
    share_id: str,
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    passphrase: str = PASSPHRASE,
) -> None:
    """Withdraw a share link."""
    with _wallet(_settings(data_dir, database_url), passphrase) as (_, wallet):
        wallet.withdraw_share(share_id)
    typer.echo(f"withdrew share {share_id}")


@cli.command()
def delete(
    credential_id: str,
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    passphrase: str = PASSPHRASE,
) -> None:
    """Delete one credential (its share links are withdrawn)."""
    with _wallet(_settings(data_dir, database_url), passphrase) as (service, wallet):
        service.delete_credential(wallet, credential_id)
    typer.echo(f"deleted credential {credential_id}")


@cli.command("export")
def export_backup(
    path: Path = typer.Argument(..., help="Backup file to write."),
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    passphrase: str = PASSPHRASE,
    backup_passphrase: str | None = typer.Option(
        None,
        envvar="VCWORK_WALLET_BACKUP_PASSPHRASE",
        help="Passphrase for the backup (default: the wallet passphrase).",
    ),
) -> None:
    """Write an encrypted backup of every key and credential."""
    with _wallet(_settings(data_dir, database_url), passphrase) as (_, wallet):
        data = wallet.export_backup(backup_passphrase or passphrase)
    path.write_bytes(data)
    path.chmod(0o600)
    typer.echo(f"wrote {path}")


@cli.command("import")
def import_backup(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Backup file."),
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    passphrase: str = PASSPHRASE,
    backup_passphrase: str | None = typer.Option(
        None,
        envvar="VCWORK_WALLET_BACKUP_PASSPHRASE",
        help="Passphrase of the backup (default: the wallet passphrase).",
    ),
) -> None:
    """Merge a backup into the wallet, creating the wallet if there is none."""
    with _service(_settings(data_dir, database_url)) as service:
        if not service.store.exists():
            wallet = service.store.create(passphrase)
            created = True
        else:
            wallet = service.store.unlock(passphrase)
            created = False
        result = wallet.import_backup(
            path.read_bytes(),
            backup_passphrase or passphrase,
            verify=lambda credential, dids: service.verify(
                credential, holder_dids=dids
            ),
        )
    if created:
        typer.echo("created a new wallet for the backup")
    typer.echo(
        f"imported {result.credentials_added} credentials "
        f"({result.credentials_present} already present), {result.keys_added} keys"
    )


@cli.command("delete-wallet")
def delete_wallet(
    data_dir: Path = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    passphrase: str = PASSPHRASE,
) -> None:
    """Delete every key, credential and share link of the wallet."""
    if not yes:
        typer.confirm("Delete the whole wallet? This cannot be undone", abort=True)
    with _service(_settings(data_dir, database_url)) as service:
        service.store.delete_wallet(passphrase)
    typer.echo("deleted the wallet")


if __name__ == "__main__":
    cli()
