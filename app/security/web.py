"""Shared pieces of the sign-in and admin pages: templates, client address, role homes."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import HTTPConnection

from app.security.roles import Principal

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"

#: Where each role lands after signing in (first match in this order).
HOMES: tuple[tuple[str, str], ...] = (
    ("agent", "/agent"),
    ("supervisor", "/supervisor"),
    ("trainer", "/trainer"),
    ("admin", "/admin"),
)


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                       autoescape=select_autoescape(["html"]))


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def client_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else ""


def home_for(principal: Principal) -> str:
    for role, path in HOMES:
        if role in principal.roles:
            return path
    return "/login"


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after sign-in; anything else (other hosts, schemes,
    '//evil', backslashes, control characters) is dropped."""
    if not value or len(value) > 512 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 for c in value) or value.startswith("/login"):
        return None
    return value
