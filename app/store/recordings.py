"""Per-speaker call recordings: 16 kHz mono int16 WAV files appended as audio arrives.

The header's sizes are rewritten after every append, so a file cut off by a
kill is still a valid WAV holding everything written before it. Audio is laid
on the call's clock: a gap (hold, dropped frames) is filled with silence, an
overlap is trimmed, so both speakers' files line up sample for sample.

Paths: ``<data_dir>/recordings/<safe call id>/<speaker>.wav``. The call id is
untrusted (it comes from a phone system or a URL): :func:`safe_name` keeps
``[A-Za-z0-9._-]``, never yields ``.``/``..``, and adds a hash when it changed
anything, so two different ids never share a directory.
"""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from transcription.types import SAMPLE_RATE, SPEAKERS

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
#: Longest silence laid down for a gap: longer gaps (a very long hold) are cut short.
MAX_GAP_S = 600.0
_HEADER = 44


class UnsafePathError(ValueError):
    """A speaker or path that would leave the recordings directory."""


def safe_name(call_id: str) -> str:
    cleaned = _SAFE.sub("_", call_id)[:96].strip(".") or "call"
    if cleaned != call_id:
        digest = hashlib.sha256(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        cleaned = f"{cleaned}-{digest}"
    return cleaned


def recording_path(recordings_dir: Path, call_id: str, speaker: str) -> Path:
    """Where a speaker's recording lives; refuses anything outside ``recordings_dir``."""
    if speaker not in SPEAKERS:
        raise UnsafePathError(f"unknown speaker {speaker!r}")
    root = recordings_dir.resolve()
    path = (root / safe_name(call_id) / f"{speaker}.wav").resolve()
    if root not in path.parents:
        raise UnsafePathError("recording path escapes the recordings directory")
    return path


def _header(data_bytes: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavAppender:
    """One open WAV file; append float32 audio placed at a time on the call clock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f: BinaryIO
        if path.exists() and path.stat().st_size >= _HEADER:
            self._f = open(path, "r+b")  # noqa: SIM115 (kept open for the call)
            size = path.stat().st_size
            self.samples = (size - _HEADER) // 2
            self._f.truncate(_HEADER + self.samples * 2)  # drop a torn half sample
        else:
            self._f = open(path, "w+b")  # noqa: SIM115
            self._f.write(_header(0))
            self.samples = 0

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def write(self, pcm: npt.NDArray[np.float32], start: float, *, sync: bool = True) -> None:
        """Lay ``pcm`` at call time ``start``; ``sync`` also rewrites the header and
        flushes (else :meth:`sync` must follow: a batch of writes syncs once)."""
        at = round(start * SAMPLE_RATE)
        data = np.clip(pcm, -1.0, 1.0)
        if at < self.samples:  # overlap (replayed or re-sent audio): keep what is written
            data = data[self.samples - at :]
        elif at > self.samples:
            gap = min(at - self.samples, int(MAX_GAP_S * SAMPLE_RATE))
            data = np.concatenate([np.zeros(gap, dtype=np.float32), data])
        if not len(data):
            return
        ints = (data * 32767.0).astype("<i2")
        self._f.seek(_HEADER + self.samples * 2)
        self._f.write(ints.tobytes())
        self.samples += len(ints)
        if sync:
            self.sync()

    def sync(self) -> None:
        """Make the header tell the samples written so far, and flush to the OS."""
        self._f.seek(0)
        self._f.write(_header(self.samples * 2))
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()
