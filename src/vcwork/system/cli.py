"""``vcwork up``: start the issuer agent, the wallet and the verifier agent together."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import typer

__all__ = ["up"]

EXIT_FAILED = 1


def up(
    data_dir: Path = typer.Option(
        Path("vcwork-data"),
        "--data-dir",
        help="Directory for every service's database, keys and logs.",
    ),
    issuer_port: int = typer.Option(
        8001, "--issuer-port", help="Port of the issuer agent on 127.0.0.1."
    ),
    wallet_port: int = typer.Option(
        8002, "--wallet-port", help="Port of the wallet on 127.0.0.1."
    ),
    verifier_port: int = typer.Option(
        8003, "--verifier-port", help="Port of the verifier agent on 127.0.0.1."
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Seed the construction program and play the demo story through the "
        "services' HTTP interfaces.",
    ),
    exit_after_demo: bool = typer.Option(
        False,
        "--exit-after-demo",
        help="With --demo: stop the services after the story; exit code 0 when every "
        "step succeeded.",
    ),
) -> None:
    """Start the issuer agent, the wallet and the verifier agent on 127.0.0.1.

    They keep SQLite databases and the embedded anchor log in the data
    directory. Stop them with Ctrl-C.
    """
    import httpx
    from rich.console import Console

    from .story import DemoStory
    from .up import Ports, System, SystemLayout, SystemRunError

    console = Console(highlight=False, emoji=False)
    if exit_after_demo and not demo:
        console.print(
            "error: --exit-after-demo requires --demo; add --demo or drop "
            "--exit-after-demo",
            style="red",
        )
        raise typer.Exit(2)
    layout = SystemLayout(data_dir.resolve())
    system = System(
        layout,
        ports=Ports(issuer=issuer_port, wallet=wallet_port, verifier=verifier_port),
    )
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()
        # The first signal interrupts a running step; the finally block stops
        # the services.
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, request_stop)
    started = time.monotonic()
    try:
        console.print(f"starting the services, data in {layout.data_dir}/")
        system.start()
        console.print(
            f"  issuer agent    {system.issuer_url}/  (DID {system.issuer_did})"
        )
        console.print(f"  wallet          {system.wallet_url}/")
        console.print(f"  verifier agent  {system.verifier_url}/")
        console.print(f"  logs            {layout.logs_dir}/")
        if demo:
            story = DemoStory(system, console=console)
            try:
                outcome = story.run()
            finally:
                story.close()
            if exit_after_demo:
                console.print(
                    "\n[bold]Done.[/bold] The services stop now; run `vcwork up` with "
                    "the same --data-dir to open these pages again:"
                )
            else:
                console.print("\n[bold]Done.[/bold] Open these pages:")
            for name, url in outcome.urls.items():
                console.print(f"  {name:26} {url}", soft_wrap=True)
            console.print(f"  {'files':26} {layout.demo_dir}/", soft_wrap=True)
            console.print(f"  the whole run took {time.monotonic() - started:.0f} s")
        if exit_after_demo:
            return
        console.print("\nthe services are running; press Ctrl-C to stop them")
        while not stop_requested.is_set():
            system.check_running()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nstopping the services")
    except SystemRunError as e:
        console.print(f"\nerror: {e.detail}", style="red", soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    except httpx.HTTPError as e:
        console.print(
            f"\nerror: an HTTP request to a service failed: {type(e).__name__}: {e}; "
            f"see the service logs in {layout.logs_dir}/",
            style="red",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        system.stop()
        signal.signal(signal.SIGTERM, previous)
        if layout.data_dir.exists():
            console.print(f"stopped; the data stays in {layout.data_dir}/")
        else:
            console.print("stopped")


def main() -> None:
    """Run ``up`` as a stand-alone command (``python -m vcwork.system.cli``)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(up)
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
