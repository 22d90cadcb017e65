"""The picture of a call for the agent screens, from the live session or the store.

``sidebar_source(app, call_id)`` is installed as ``app.state.sidebar_source``
(see :mod:`app.routers.agent`): a live call answers from memory (finals plus
the latest partial per speaker), a finished one from the store.
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.render import CallHeader, SidebarState


async def sidebar_source(app: Any, call_id: str) -> SidebarState | None:
    calls = getattr(app.state, "calls", None)
    session = calls.get(call_id) if calls is not None else None
    if session is not None:
        utts = [*session.finals, *session.partials.values()]
        return SidebarState(
            header=CallHeader(
                call_id=call_id,
                agent=session.agent,
                started_at=session.started_at,
                status=session.state,
                source=session.source,
            ),
            context=session.context,
            cues=tuple(session.cues.values()),
            utterances=tuple(utts),
        )
    store = getattr(app.state, "store", None)
    if store is None:
        return None
    record = await asyncio.to_thread(store.get_call, call_id)
    if record is None:
        return None
    transcript = await asyncio.to_thread(store.transcript, call_id)
    cues = await asyncio.to_thread(store.cues, call_id)
    return SidebarState(
        header=CallHeader(
            call_id=call_id,
            agent=record.agent,
            started_at=record.started_at.timestamp(),
            status=record.state,
            source=record.source,
        ),
        context=record.context,
        cues=tuple(c.cue for c in cues),
        utterances=tuple(transcript),
    )
