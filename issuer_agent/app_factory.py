"""The app factory uvicorn workers import: settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from .app import create_app
from .settings import Settings

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    return create_app(Settings.from_env())
