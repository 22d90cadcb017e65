"""Shared test settings.

Tests are grouped by what they need: unit (pure), pipeline (scripted fakes), web
(app + websockets), model (real speech models, marker ``model``) and browser
(real Chromium, marker ``browser``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED
