"""Opening the configured store from a CLI command (users, retention)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.settings import Settings, load_settings


def open_store(config: Path | None, data_dir: Path | None) -> tuple[Any, Settings]:
    from app.store import Store

    settings = load_settings(config, data_dir=data_dir)
    store = Store(settings.db_url, settings.data_dir)
    store.migrate()
    return store, settings
