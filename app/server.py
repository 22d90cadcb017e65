"""``heard serve [--host H] [--port P] [--data-dir DIR] [--config FILE] [--log-level L]``.

Settings come from the config file, then ``HEARD_*`` environment variables, then
these options (each overrides the one before); they are validated before
anything starts, and a bad one stops the command with a message naming it
(exit status 2).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("heard.server")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="heard serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--data-dir", type=Path, help="database, recordings (default ./heard-data)")
    p.add_argument("--config", type=Path, help="settings file (.toml or .yaml)")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument(
        "--engine",
        choices=["whisper", "vosk", "fake"],
        help="speech engine (fake: no speech model, for tests and UI work)",
    )
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "data_dir": args.data_dir,
        "log_level": args.log_level,
    }
    settings = load_settings(args.config, **overrides)
    if args.engine:
        settings = settings.model_copy(
            update={
                "transcription": settings.transcription.model_copy(update={"engine": args.engine})
            }
        )
    return settings


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from(args)
    except SettingsError as e:
        print(f"heard serve: {e}", file=sys.stderr)
        return 2
    import uvicorn

    from app.logs import configure
    from app.main import create_app

    configure(settings.log_level, settings.log_json)
    app = create_app(settings)
    shown_host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    log.info(
        "starting",
        extra={"url": f"http://{shown_host}:{settings.port}/", "data_dir": str(settings.data_dir)},
    )
    config = uvicorn_config(app, settings, log_config=None)  # our JSON logging, above
    server = uvicorn.Server(config)
    server.run()
    return 0


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The server's uvicorn settings (``heard serve`` and ``heard demo`` alike)."""
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "ws_max_size": settings.max_message_bytes,
        # Call audio (base64 or raw G.711) barely compresses, and inflating a thousand
        # frames a second is CPU the decoder needs: 1 % of the server's samples at 10
        # calls went to PerMessageDeflate.decode. The sidebars' fragments are small.
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": 10,
        "proxy_headers": False,
        **overrides,
    }
    return uvicorn.Config(app, **options)
