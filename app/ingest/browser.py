"""The agent's browser capture (``/ingest/browser/{call_id}``), for softphones in a tab.

The sidebar's AudioWorklet captures the agent's microphone and the call's tab
audio and streams them here; the signed-in agent is the call's agent (no
integration credentials: the agent's session is the authentication).

Protocol: a JSON start message, then binary frames of PCM16 little-endian,
interleaved when stereo::

    {"event": "start", "sample_rate": 48000, "channels": 2}

Channel 0 is the microphone (the **agent**), channel 1 the tab audio (the
**caller**); ``channels: 1`` sends the microphone only. ``sample_rate`` is
48000 or 16000 (44100 accepted). ``{"event": "stop"}`` ends the call; closing
the tab without it leaves the call open for a reconnect (a page reload).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.websockets import WebSocket

from app.ingest.base import (
    CLOSE_POLICY,
    CLOSE_UNSUPPORTED,
    IntegrationPrincipal,
    ProtocolError,
    parse_json,
)
from app.ingest.pcm import PcmConnector, parse_format

BROWSER_RATES = (16000, 44100, 48000)


class BrowserConnector(PcmConnector):
    name = "browser"

    def __init__(self, websocket: WebSocket, principal: IntegrationPrincipal, call_id: str) -> None:
        super().__init__(websocket, principal)
        self.call_id = call_id

    def call_identity(self, msg: dict[str, Any]) -> tuple[str, str]:
        session = self.calls.get(self.call_id)
        if session is not None and session.agent not in ("", self.principal.name):
            raise ProtocolError("not your call", CLOSE_POLICY)
        return self.call_id, self.principal.name

    async def on_text(self, data: str) -> None:
        if self.edge is None:
            msg = parse_json(data)
            msg.setdefault("event", "start")
            if (
                msg.get("encoding", "pcm16") != "pcm16"
                or msg.get("sample_rate") not in BROWSER_RATES
            ):
                raise ProtocolError(
                    "browser capture must be pcm16 at 16000, 44100 or 48000 Hz", CLOSE_UNSUPPORTED
                )
            channels = msg.get("channels", 2)
            msg["speakers"] = ["agent", "caller"][: channels if channels in (1, 2) else 2]
            parse_format(msg)  # validated before the call is opened
            msg.pop("call_id", None)
            msg.pop("agent", None)
            data = json.dumps(msg)
        await super().on_text(data)
