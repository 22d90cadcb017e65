"""The recorded-call library's routes live in :mod:`app.routers.trainer`.

``app.main`` includes ``app.routers.library`` when present; this name re-exports
the trainer router so the library is served without a change to the app factory.
"""

from app.routers.trainer import router

__all__ = ["router"]
