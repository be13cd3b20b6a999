"""The ``vcwork`` command: keys, DIDs, issue, present, verify and the demo.

Exit codes: 0 success (for ``verify``: verified), 1 verification failed,
2 invalid input or usage (a missing file, malformed JSON, a bad option),
3 an unexpected internal error (a bug: please report it with the input).
Results go to stdout, diagnostics to stderr; ``--json`` prints machine-readable
output. Heavy modules are imported inside commands to keep start-up fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer

from .errors import VcworkError

__all__ = ["app", "main"]

EXIT_OK = 0
EXIT_NOT_VERIFIED = 1
EXIT_INVALID_INPUT = 2
EXIT_INTERNAL_ERROR = 3

app = typer.Typer(
    help="Verifiable micro-credentials: keys, DIDs, Open Badges 3.0 credentials, "
    "presentations and verification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Create Ed25519 keys.", no_args_is_help=True)
did_app = typer.Typer(help="Create and resolve DIDs.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(did_app, name="did")


class InputError(Exception):
    """A problem with the command's input, reported with exit code 2."""


def _fail(message: str) -> NoReturn:
    raise InputError(message)


def _read_json(path: Path, kind: str) -> Any:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        _fail(f"{kind} file not found: {path}")
    except (OSError, UnicodeDecodeError) as e:
        _fail(f"cannot read {kind} file {path}: {e}")
    try:
        return json.loads(text)
    except RecursionError:
        _fail(f"{kind} file {path} nests JSON too deeply to read")
    except json.JSONDecodeError as e:
        _fail(
            f"{kind} file {path} is not valid JSON (line {e.lineno}, column "
            f"{e.colno}: {e.msg})"
        )


def _write_json(data: Any, out: Path | None, *, secret: bool = False) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        # Create the file readable by its owner only before writing the secret.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # An existing file keeps its mode through os.open, so set it again.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        out.write_text(text, "utf-8")
    typer.echo(f"wrote {out}", err=True)


def _load_key_pair(path: Path) -> Any:
    from .keys import Ed25519KeyPair

    data = _read_json(path, "key")
    return Ed25519KeyPair.from_multikey(data)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    from .dates import parse_datetime

    return parse_datetime(value, property="--now")


# -- keys ---------------------------------------------------------------------


@keys_app.command("generate")
def keys_generate(
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="File to write the key pair to (created with mode 600).",
    ),
) -> None:
    """Generate an Ed25519 key pair with a did:key identifier."""
    from .did import create_did_key

    key_pair, did = create_did_key()
    _write_json(key_pair.export_multikey(include_secret=True), out, secret=True)
    typer.echo(json.dumps({"did": did, "verificationMethod": key_pair.id}))


# -- did ----------------------------------------------------------------------


@did_app.command("resolve")
def did_resolve(
    did: str = typer.Argument(..., help="The DID to resolve, e.g. did:key:z6Mk..."),
    allow_web: bool = typer.Option(
        False, "--allow-web", help="Allow fetching did:web documents over HTTPS."
    ),
) -> None:
    """Resolve a DID to its DID document (did:key offline; did:web with --allow-web)."""
    from .did import DidResolver

    resolver = DidResolver(web=_web_options() if allow_web else None)
    _write_json(resolver.resolve(did), None)


def _web_options() -> Any:
    from .did import DidWebOptions

    return DidWebOptions()


@did_app.command("web-document")
def did_web_document(
    did: str = typer.Argument(..., help="The did:web DID, e.g. did:web:example.org"),
    key: Path = typer.Option(
        ..., "--key", help="Key pair file from 'vcwork keys generate'."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write did.json."
    ),
) -> None:
    """Write the did:web DID document that lists the key's public part."""
    from .did import create_did_web_document, did_web_to_url

    key_pair = _load_key_pair(key)
    document = create_did_web_document(did, [key_pair])
    _write_json(document, out)
    typer.echo(f"serve it at {did_web_to_url(did)}", err=True)


# -- issue / present / verify -------------------------------------------------


@app.command("issue")
def issue(
    credential: Path = typer.Argument(..., help="Unsigned credential (JSON file)."),
    key: Path = typer.Option(..., "--key", help="Issuer key pair file."),
    cryptosuite: str = typer.Option(
        "eddsa-rdfc-2022",
        "--cryptosuite",
        help="eddsa-rdfc-2022, eddsa-jcs-2022 or Ed25519Signature2020.",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output file (default stdout)."
    ),
) -> None:
    """Sign a credential with the issuer's key (Data Integrity proof)."""
    from .credentials import issue_credential

    document = _read_json(credential, "credential")
    key_pair = _load_key_pair(key)
    if not isinstance(document, dict):
        _fail(f"{credential} must contain a JSON object (the credential)")
    if "issuer" not in document and key_pair.controller:
        document["issuer"] = key_pair.controller
    signed = issue_credential(document, key_pair, cryptosuite=cryptosuite)
    _write_json(signed, out)


@app.command("present")
def present(
    credentials: list[Path] = typer.Argument(..., help="Signed credential files."),
    key: Path = typer.Option(..., "--key", help="Holder key pair file."),
    challenge: str = typer.Option(..., "--challenge", help="The verifier's challenge."),
    domain: str | None = typer.Option(None, "--domain", help="The verifier's domain."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output file (default stdout)."
    ),
) -> None:
    """Create a presentation of credentials signed by the holder for one verifier."""
    from .credentials import create_presentation, sign_presentation

    key_pair = _load_key_pair(key)
    documents = [_read_json(path, "credential") for path in credentials]
    presentation = create_presentation(documents, holder=key_pair.controller)
    signed = sign_presentation(
        presentation, key_pair, challenge=challenge, domain=domain
    )
    _write_json(signed, out)


@app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="Credential or presentation (JSON file)."),
    challenge: str | None = typer.Option(
        None, "--challenge", help="Expected challenge of a presentation."
    ),
    domain: str | None = typer.Option(None, "--domain", help="Expected domain."),
    now: str | None = typer.Option(
        None, "--now", help="Verify as of this time (XML Schema dateTime), default now."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    online: bool = typer.Option(
        False,
        "--online",
        help="Resolve did:web DIDs and fetch status lists over HTTPS "
        "(off by default: only did:key, no status check).",
    ),
    allow_http_loopback: bool = typer.Option(
        False,
        "--allow-http-loopback",
        help="With --online, also allow plain http to localhost (local testing).",
    ),
) -> None:
    """Verify a credential or presentation; exit 1 when it does not verify."""
    from .credentials import parse_document, verify_credential, verify_presentation
    from .errors import ParsingError

    try:
        raw: Any = file.read_bytes()
    except FileNotFoundError:
        _fail(f"file not found: {file}")
    except OSError as e:
        _fail(f"cannot read {file}: {e}")
    moment = _parse_now(now)
    try:
        document: Any = parse_document(raw)
    except ParsingError:
        document = None
    if document is None:
        # The report names the parsing problem, and exit code 2 marks invalid
        # input rather than a credential that failed verification.
        result = verify_credential(raw, now=moment)
        _print_result(result, as_json)
        raise typer.Exit(EXIT_INVALID_INPUT)
    types = document.get("type", []) if isinstance(document, dict) else []
    is_presentation = "VerifiablePresentation" in (
        [types] if isinstance(types, str) else types
    )
    if is_presentation and challenge is None:
        _fail(
            "a presentation is verified against the challenge the verifier sent; "
            "pass it with --challenge (and the domain with --domain)"
        )
    options: dict[str, Any] = {"now": moment}
    if online:
        options.update(_online_checkers(allow_http_loopback))
    else:
        options["status_checker"] = _offline_status_check
    if is_presentation:
        result = verify_presentation(
            document, challenge=challenge, domain=domain, **options
        )
    else:
        result = verify_credential(document, **options)
    _print_result(result, as_json)
    raise typer.Exit(EXIT_OK if result.verified else EXIT_NOT_VERIFIED)


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        from .report import render_report

        typer.echo(render_report(result))


def _offline_status_check(credential: dict[str, Any]) -> Any:
    from .credentials import Check

    return Check(
        "status",
        "not_checked",
        "the status list was not fetched; run 'vcwork verify --online' to check "
        "revocation and suspension",
    )


def _online_checkers(allow_http_loopback: bool) -> dict[str, Any]:
    """Return a resolver and a status checker that may use the network."""
    from .did import DidResolver, DidWebOptions
    from .status import BitstringStatusListChecker

    resolver = DidResolver(web=DidWebOptions(allow_http_loopback=allow_http_loopback))
    checker = BitstringStatusListChecker(
        resolver=resolver, allow_http_loopback=allow_http_loopback
    )
    return {"resolver": resolver, "status_checker": checker}


@app.command("demo")
def demo(
    out: Path = typer.Option(
        Path("vcwork-demo"),
        "--out",
        "-o",
        help="Folder for everything the demo writes.",
    ),
) -> None:
    """Run the construction pre-apprenticeship program end to end."""
    from .demo import run_demo

    run_demo(out)


def _run(func: Callable[[], Any]) -> int:
    """Run the Typer app and turn errors into the documented exit codes."""
    from typer.exceptions import TyperException

    try:
        code = func()
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_INVALID_INPUT
    except typer.Exit as e:
        return e.exit_code
    except TyperException as e:
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {e.format_message()}", err=True)
        return EXIT_INVALID_INPUT
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except InputError as e:
        typer.echo(f"error: {e}", err=True)
        return EXIT_INVALID_INPUT
    except VcworkError as e:
        where = f" (at {e.property})" if e.property else ""
        typer.echo(f"error: {e.detail}{where}", err=True)
        return EXIT_INVALID_INPUT
    except OSError as e:
        typer.echo(
            f"error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), err=True
        )
        return EXIT_INVALID_INPUT
    except (RecursionError, OverflowError) as e:
        typer.echo(f"error: the input is too deeply nested or too large: {e}", err=True)
        return EXIT_INVALID_INPUT
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as e:
        typer.echo(
            f"internal error: {type(e).__name__}: {e}. This is a bug in vcwork; "
            "please report it with the command and input that caused it.",
            err=True,
        )
        return EXIT_INTERNAL_ERROR
    return code if isinstance(code, int) else EXIT_OK


# Command groups whose modules import SQLAlchemy, web3 or a web framework.
# They are attached only when the command line needs them, so `vcwork verify`
# starts without paying for their imports.
_LAZY_GROUPS = {
    "status": ("vcwork.status.cli", "status_app"),
    "anchor": ("vcwork.anchoring.cli", "anchor_app"),
    "report": ("vcwork.outcomes.cli", "report_app"),
    "issuer": ("issuer_agent.cli", "cli"),
    "verifier": ("verifier_agent.cli", "cli"),
    "wallet": ("wallet.cli", "cli"),
}


def _add_lazy_groups(argv: list[str]) -> None:
    import importlib

    requested = argv[1] if len(argv) > 1 else None
    for name, (module_name, attribute) in _LAZY_GROUPS.items():
        if (
            requested is not None
            and requested != name
            and not requested.startswith("-")
        ):
            continue
        module = importlib.import_module(module_name)
        app.add_typer(getattr(module, attribute), name=name)


def _add_up_command(argv: list[str]) -> None:
    # `vcwork up` imports the service supervisor only when it runs or when
    # the help lists the commands.
    requested = argv[1] if len(argv) > 1 else None
    if requested is None or requested == "up" or requested.startswith("-"):
        from .system.cli import up

        app.command("up")(up)


def main() -> None:
    _add_lazy_groups(sys.argv)
    _add_up_command(sys.argv)
    sys.exit(_run(lambda: app(standalone_mode=False)))
