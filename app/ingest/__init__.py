"""Call audio in: one module per wire protocol (the only places a wire format is known).

- :mod:`app.ingest.twilio`: Twilio Media Streams
- :mod:`app.ingest.audiohook`: Genesys AudioHook monitor v2
- :mod:`app.ingest.pcm`: plain PCM websocket (JSON start, binary frames)
- :mod:`app.ingest.browser`: the agent's browser capture (AudioWorklet)

Each module has an ``authenticate(websocket)`` hook; :mod:`app.ingest.base` the
shared connection loop, close codes and flood guard.
"""
