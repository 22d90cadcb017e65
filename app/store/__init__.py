"""Storage: SQLAlchemy models, Alembic migrations, the Store API, a writer thread, recordings.

Public API: :class:`Store` (reads and writes, synchronous), :class:`Writer`
(ordered writes off the event loop), :class:`Recorder` (per-speaker WAV files),
the record dataclasses of :mod:`app.store.records`.
"""

from app.store.db import StoreError
from app.store.recorder import Recorder
from app.store.records import CallRecord, StoredCue
from app.store.store import Store
from app.store.writer import Writer

__all__ = ["CallRecord", "Recorder", "Store", "StoreError", "StoredCue", "Writer"]
