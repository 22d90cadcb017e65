"""Admin pages (role ``admin`` only): users, the audit log (view, filters, CSV/JSONL
export), retention (policy, legal holds, run now).

Forms are plain HTML posts carrying the session's CSRF token (checked by the CSRF
middleware). A new or reset password is random and shown once, to the admin who
hands it over; it is never logged.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.retention import apply_retention, policy_from
from app.security.audit import ACTIONS, export_csv, export_jsonl
from app.security.config import SecuritySettings
from app.security.roles import ROLES, Principal, require
from app.security.sessions import SESSION_COOKIE, read_cookie
from app.security.users import UserError, random_password
from app.security.web import client_ip, render

router = APIRouter(prefix="/admin", tags=["admin"])

Admin = Annotated[Principal, Depends(require("admin"))]
PAGE = 100


def _csrf(request: Request) -> str:
    token = read_cookie(request, SESSION_COOKIE) or ""
    return str(request.app.state.session_auth.csrf_for(token))


def _security(request: Request) -> SecuritySettings:
    return getattr(request.app.state.settings, "security", None) or SecuritySettings()


def _page(request: Request, name: str, principal: Principal, **ctx: object) -> HTMLResponse:
    return HTMLResponse(render(name, csrf_token=_csrf(request), principal=principal,
                               roles=ROLES, **ctx))


@router.get("", response_class=HTMLResponse)
async def admin_home(request: Request, principal: Admin) -> HTMLResponse:
    users = await asyncio.to_thread(request.app.state.user_store.list)
    return _page(request, "admin/users.html", principal, users=users, notice=None)


@router.post("/users", response_class=HTMLResponse)
async def add_user(
    request: Request,
    principal: Admin,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[list[str], Form()],
    display_name: Annotated[str, Form(max_length=128)] = "",
) -> HTMLResponse:
    store = request.app.state.user_store
    password = random_password()
    try:
        await asyncio.to_thread(store.add, username.strip().lower(), role, password,
                                display_name.strip())
    except UserError as e:
        users = await asyncio.to_thread(store.list)
        resp = _page(request, "admin/users.html", principal, users=users, notice=str(e))
        resp.status_code = status.HTTP_400_BAD_REQUEST
        return resp
    await request.app.state.audit_log.arecord(
        principal.username, "user_add", target_type="user", target_id=username,
        ip=client_ip(request), detail={"roles": ",".join(sorted(role))})
    return _page(request, "admin/password.html", principal, username=username,
                 password=password, what="created")


@router.post("/users/{username}/reset", response_class=HTMLResponse)
async def reset_user(request: Request, username: str, principal: Admin) -> HTMLResponse:
    password = random_password()
    try:
        await asyncio.to_thread(request.app.state.user_store.reset, username, password)
    except UserError as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(e)) from e
    request.app.state.sessions.revoke_user(username)
    await request.app.state.audit_log.arecord(principal.username, "user_reset",
                                              target_type="user", target_id=username,
                                              ip=client_ip(request))
    return _page(request, "admin/password.html", principal, username=username,
                 password=password, what="reset")


@router.post("/users/{username}/remove")
async def remove_user(request: Request, username: str, principal: Admin) -> Response:
    if username == principal.username:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "you cannot remove your own account")
    removed = await asyncio.to_thread(request.app.state.user_store.remove, username)
    if not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such user")
    request.app.state.sessions.revoke_user(username)
    await request.app.state.audit_log.arecord(principal.username, "user_remove",
                                              target_type="user", target_id=username,
                                              ip=client_ip(request))
    return RedirectResponse("/admin", status_code=303)


@router.post("/users/{username}/roles")
async def set_roles(request: Request, username: str, principal: Admin,
                    role: Annotated[list[str], Form()]) -> Response:
    try:
        await asyncio.to_thread(request.app.state.user_store.set_roles, username, role)
    except UserError as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(e)) from e
    await request.app.state.audit_log.arecord(
        principal.username, "user_roles", target_type="user", target_id=username,
        ip=client_ip(request), detail={"roles": ",".join(sorted(role))})
    return RedirectResponse("/admin", status_code=303)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "dates as YYYY-MM-DD[THH:MM]") from e
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _filters(actor: str | None, action: str | None, call: str | None, outcome: str | None,
             since: str | None, until: str | None) -> dict[str, object]:
    if action and action not in ACTIONS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown action")
    if outcome and outcome not in ("ok", "refused", "error"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown outcome")
    return {"actor": actor or None, "action": action or None, "target_id": call or None,
            "outcome": outcome or None, "since": _when(since), "until": _when(until)}


@router.get("/audit", response_class=HTMLResponse)
async def audit_view(
    request: Request, principal: Admin, actor: str | None = None, action: str | None = None,
    call: str | None = None, outcome: str | None = None, since: str | None = None,
    until: str | None = None, page: int = 0,
) -> HTMLResponse:
    filters = _filters(actor, action, call, outcome, since, until)
    audit = request.app.state.audit_log
    entries = await asyncio.to_thread(lambda: audit.query(**filters, limit=PAGE,
                                                          offset=max(0, page) * PAGE))
    await audit.arecord(principal.username, "audit_view", ip=client_ip(request))
    chain_break = await asyncio.to_thread(audit.verify_chain)
    query = {"actor": actor or "", "action": action or "", "call": call or "",
             "outcome": outcome or "", "since": since or "", "until": until or ""}
    return _page(request, "admin/audit.html", principal, entries=entries, query=query,
                 actions=sorted(ACTIONS), page=max(0, page), page_size=PAGE,
                 chain_break=chain_break)


@router.get("/audit/export")
async def audit_export(
    request: Request, principal: Admin, format: str = "csv",
    actor: str | None = None, action: str | None = None, call: str | None = None,
    outcome: str | None = None, since: str | None = None, until: str | None = None,
) -> Response:
    if format not in ("csv", "jsonl"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "format is csv or jsonl")
    filters = _filters(actor, action, call, outcome, since, until)
    audit = request.app.state.audit_log
    entries = await asyncio.to_thread(lambda: audit.query(**filters, limit=None))
    await audit.arecord(principal.username, "audit_export", ip=client_ip(request),
                        detail={"format": format, "rows": len(entries)})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if format == "csv":
        body, media = export_csv(entries), "text/csv; charset=utf-8"
    else:
        body, media = export_jsonl(entries), "application/x-ndjson"
    return StreamingResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="heard-audit-{stamp}.{format}"'})


@router.get("/retention", response_class=HTMLResponse)
async def retention_view(request: Request, principal: Admin) -> HTMLResponse:
    from sqlalchemy import select

    from app.store.models import CallRow

    def held() -> list[str]:
        with request.app.state.store.session() as s:
            return list(s.scalars(select(CallRow.id).where(CallRow.legal_hold.is_(True))))

    holds = await asyncio.to_thread(held)
    return _page(request, "admin/retention.html", principal, security=_security(request),
                 holds=holds, report=None)


@router.post("/retention/run", response_class=HTMLResponse)
async def retention_run(request: Request, principal: Admin,
                        dry_run: Annotated[str, Form()] = "1") -> HTMLResponse:
    state = request.app.state
    report = await asyncio.to_thread(
        apply_retention, state.store, policy_from(_security(request)),
        now=datetime.now(UTC), dry_run=dry_run != "0", audit=state.audit_log)
    return _page(request, "admin/retention.html", principal, security=_security(request),
                 holds=report.kept_on_hold, report=report)


@router.post("/holds")
async def legal_hold(request: Request, principal: Admin,
                     call_id: Annotated[str, Form(max_length=200)],
                     hold: Annotated[str, Form()] = "1") -> Response:
    """Put a call on legal hold (kept by retention) or release it."""
    from app.store.models import CallRow

    def set_hold() -> bool:
        with request.app.state.store.session() as s:
            row = s.get(CallRow, call_id)
            if row is None:
                return False
            row.legal_hold = hold != "0"
            return True

    if not await asyncio.to_thread(set_hold):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    await state_audit(request, principal, call_id, hold != "0")
    return RedirectResponse("/admin/retention", status_code=303)


async def state_audit(request: Request, principal: Principal, call_id: str, on: bool) -> None:
    await request.app.state.audit_log.arecord(principal.username, "legal_hold",
                                              target_type="call", target_id=call_id,
                                              ip=client_ip(request), detail={"hold": on})
