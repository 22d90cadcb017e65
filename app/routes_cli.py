"""``heard routes --json``: every route and websocket of the real app, with its
methods and the roles allowed, read from the ``require(...)`` dependencies in each
route's dependency tree (``[]`` for public routes).

``auth`` says how a route is guarded: ``session`` (roles), ``integration`` (a phone
system's signature or token, checked by app.security.ingest_auth) or ``public``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Mount

INTEGRATION_PATHS = frozenset({"/ingest/twilio", "/ingest/audiohook", "/ingest/pcm"})


@dataclass(frozen=True, slots=True)
class RouteInfo:
    path: str
    kind: str  # "http" | "websocket"
    methods: list[str]
    roles: list[str]
    auth: str  # "session" | "integration" | "public"
    name: str


def _roles_in(dependant: Any) -> list[frozenset[str]]:
    """Role sets of every ``require`` in a dependant tree (each must pass)."""
    found: list[frozenset[str]] = []
    stack = [dependant]
    while stack:
        d = stack.pop()
        roles = getattr(getattr(d, "call", None), "roles", None)
        if roles is not None:
            found.append(frozenset(roles))
        stack.extend(getattr(d, "dependencies", []) or [])
    return found


def _leaf_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Any, list[Any]]]:
    """(full path, route, extra router-level dependencies) for every leaf route,
    through FastAPI's included routers (old flattened style and 0.16x contexts)."""
    for r in routes:
        if type(r).__name__ == "_IncludedRouter":
            extra = list(getattr(r.include_context, "dependencies", []))  # type: ignore[attr-defined]
            for ctx in r.effective_route_contexts():  # type: ignore[attr-defined]
                route = ctx.starlette_route or ctx.original_route
                path = ctx.path or getattr(route, "path", "")
                if not hasattr(route, "dependant"):
                    route = ctx.original_route
                yield prefix + path, route, extra
        elif isinstance(r, Mount):
            inner = getattr(r.app, "routes", None)
            if inner:
                yield from _leaf_routes(list(inner), prefix + r.path)
            else:
                yield prefix + r.path + "/{path}", r, []
        else:
            yield prefix + getattr(r, "path", ""), r, []


def list_routes(app: Any) -> list[RouteInfo]:
    out: list[RouteInfo] = []
    for path, route, extra in _leaf_routes(list(app.routes)):
        if path in ("/openapi.json", "/docs", "/redoc"):
            continue
        kind = "websocket" if "WebSocket" in type(route).__name__ else "http"
        methods = sorted(m for m in (getattr(route, "methods", None) or []) if m != "HEAD")
        if isinstance(route, Mount):
            kind, methods = "http", ["GET"]
        sets = _roles_in(getattr(route, "dependant", None))
        for dep in extra:
            roles = getattr(getattr(dep, "dependency", None), "roles", None)
            if roles is not None:
                sets.append(frozenset(roles))
        if sets:
            allowed = frozenset.intersection(*sets)
            auth = "session"
        else:
            allowed = frozenset()
            auth = "integration" if path in INTEGRATION_PATHS else "public"
        out.append(RouteInfo(path, kind, methods, sorted(allowed), auth,
                             getattr(route, "name", "") or ""))
    out.sort(key=lambda r: (r.path, r.kind))
    return out


def real_app() -> Any:
    """``create_app`` with default settings on a throwaway data dir (routes only)."""
    from app.main import create_app
    from app.settings import Settings, TranscriptionSettings

    tmp = Path(tempfile.mkdtemp(prefix="heard-routes-"))
    return create_app(Settings(data_dir=tmp, transcription=TranscriptionSettings(engine="fake")))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard routes", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)
    routes = list_routes(real_app())
    if args.json:
        print(json.dumps([asdict(r) for r in routes], indent=2))
    else:
        for r in routes:
            who = ",".join(r.roles) if r.roles else r.auth
            print(f"{r.kind:<9} {','.join(r.methods):<10} {r.path:<52} {who}")
    return 0
