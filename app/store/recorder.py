"""Records each call's audio per speaker, off the event loop (its own writer thread).

``append`` is called on the loop for every decoded chunk and returns at once;
chunks are handed to the writer thread in batches of :data:`BATCH_S` seconds per
speaker (a queue hand-off and a header rewrite per 20 ms chunk cost ~5 % of a core
at 10 calls), and a call's batch goes at once when it is put on hold or closed.
Files are opened lazily, kept open while the call lives and closed by
``close_call``. The ``audio_files`` row is written when a file is first opened
(so a killed server's recordings are still found by call id) and updated
with the length when it is closed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from app.store.recordings import WavAppender, recording_path
from app.store.store import Store
from app.store.writer import Writer
from transcription.types import SAMPLE_RATE, AudioChunk

log = logging.getLogger("heard.recorder")

#: audio handed to the writer thread at a time, per call and speaker (s): less than
#: the endpointer's end silence, so a final's audio is on disk by the time it is
BATCH_S = 0.2


class Recorder:
    def __init__(
        self, store: Store, db_writer: Writer, recordings_dir: Path, *, enabled: bool = True
    ) -> None:
        self.store = store
        self.db_writer = db_writer
        self.recordings_dir = recordings_dir
        self.enabled = enabled
        self.writer = Writer("heard-recorder")
        self._files: dict[tuple[str, str], WavAppender] = {}  # touched on the writer thread only
        #: per (call, speaker): chunks not yet handed over (touched on the loop only)
        self._pending: dict[tuple[str, str], list[AudioChunk]] = {}

    def start(self) -> None:
        self.writer.start()

    @property
    def depth(self) -> int:
        return self.writer.depth

    def append(self, chunk: AudioChunk) -> None:
        if not self.enabled:
            return
        key = (chunk.call_id, chunk.speaker)
        batch = self._pending.setdefault(key, [])
        batch.append(chunk)
        # ten 20 ms chunks add up to 0.19999...
        if sum(c.duration for c in batch) >= BATCH_S - 1e-6:
            self._hand_over(key)

    def flush_call(self, call_id: str) -> None:
        """Hand the call's pending audio to the writer now (hold, end of call)."""
        for key in [k for k in self._pending if k[0] == call_id]:
            self._hand_over(key)

    def close_call(self, call_id: str) -> None:
        if self.enabled:
            self.flush_call(call_id)
            self.writer.submit(self._close, call_id)

    async def flush(self) -> None:
        """Wait until all audio appended so far is written."""
        self._hand_over_all()
        await self.writer.flush()

    def close(self) -> None:
        self._hand_over_all()
        for call_id in {c for c, _ in list(self._files)}:
            self.writer.submit(self._close, call_id)
        self.writer.close()

    def _hand_over_all(self) -> None:
        for key in list(self._pending):
            self._hand_over(key)

    def _hand_over(self, key: tuple[str, str]) -> None:
        batch = self._pending.pop(key, None)
        if batch:
            self.writer.submit(self._write_batch, batch)

    # -- writer thread -------------------------------------------------------------------

    def _write_batch(self, chunks: list[AudioChunk]) -> None:
        wav = None
        for chunk in chunks:
            wav = self._write(chunk, sync=False)
        if wav is not None:
            wav.sync()  # one header rewrite and flush per batch

    def _write(self, chunk: AudioChunk, *, sync: bool = True) -> WavAppender:
        key = (chunk.call_id, chunk.speaker)
        wav = self._files.get(key)
        if wav is None:
            path = recording_path(self.recordings_dir, chunk.call_id, chunk.speaker)
            wav = WavAppender(path)
            self._files[key] = wav
            rel = str(path.relative_to(self.store.data_dir.resolve()))
            self.db_writer.submit(
                self.store.upsert_audio_file,
                chunk.call_id,
                chunk.speaker,
                rel,
                wav.seconds,
                SAMPLE_RATE,
            )
        wav.write(chunk.pcm, chunk.start, sync=sync)
        return wav

    def _close(self, call_id: str) -> None:
        for key in [k for k in self._files if k[0] == call_id]:
            wav = self._files.pop(key)
            wav.close()
            rel = str(wav.path.relative_to(self.store.data_dir.resolve()))
            self.db_writer.submit(
                self.store.upsert_audio_file, key[0], key[1], rel, wav.seconds, SAMPLE_RATE
            )
