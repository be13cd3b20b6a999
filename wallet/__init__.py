"""The participant wallet: a FastAPI web app and a CLI to receive, keep and share credentials.

``create_app(Settings(data_dir=...))`` builds the web app; ``wallet.cli.cli``
is the Typer app behind ``vcwork wallet``.
"""

from __future__ import annotations

from .app import create_app
from .service import WalletService
from .settings import Settings
from .store import UnlockedWallet, WalletStore

__all__ = ["Settings", "UnlockedWallet", "WalletService", "WalletStore", "create_app"]
