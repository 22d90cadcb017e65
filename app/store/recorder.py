"""Records each call's audio per speaker, off the event loop (its own writer thread).

``append`` is called on the loop for every decoded chunk and returns at once;
files are opened lazily, kept open while the call lives and closed by
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

    def start(self) -> None:
        self.writer.start()

    @property
    def depth(self) -> int:
        return self.writer.depth

    def append(self, chunk: AudioChunk) -> None:
        if self.enabled:
            self.writer.submit(self._write, chunk)

    def close_call(self, call_id: str) -> None:
        if self.enabled:
            self.writer.submit(self._close, call_id)

    async def flush(self) -> None:
        await self.writer.flush()

    def close(self) -> None:
        for call_id in {c for c, _ in list(self._files)}:
            self.writer.submit(self._close, call_id)
        self.writer.close()

    # -- writer thread -------------------------------------------------------------------

    def _write(self, chunk: AudioChunk) -> None:
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
        wav.write(chunk.pcm, chunk.start)

    def _close(self, call_id: str) -> None:
        for key in [k for k in self._files if k[0] == call_id]:
            wav = self._files.pop(key)
            wav.close()
            rel = str(wav.path.relative_to(self.store.data_dir.resolve()))
            self.db_writer.submit(
                self.store.upsert_audio_file, key[0], key[1], rel, wav.seconds, SAMPLE_RATE
            )
