"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest
from e2e_helpers import free_ports

from vcwork.system import Ports


@pytest.fixture
def ports() -> Ports:
    return free_ports()
