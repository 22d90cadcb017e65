"""A call's two per-speaker recordings served as one stereo WAV, with byte ranges.

The replay player is one ``<audio>`` element; the store keeps one 16 kHz mono
WAV per speaker. :class:`StereoMix` interleaves them on the fly (caller left,
agent right) for any byte range of the virtual file, so the browser can seek a
30-minute call without the server ever building the whole 115 MB file. A call
with only one recording (a mono import, or one side not recorded) is served as
that one channel.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from transcription.types import SAMPLE_RATE

HEADER_BYTES = 44
#: Most bytes one ranged answer carries (the browser asks for the rest as it plays).
MAX_RANGE_BYTES = 2 * 1024 * 1024

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def wav_header(frames: int, channels: int, rate: int = SAMPLE_RATE) -> bytes:
    data = frames * channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


@dataclass(frozen=True, slots=True)
class StereoMix:
    """The virtual WAV of ``sources`` (one path per channel, in channel order)."""

    sources: tuple[Path, ...]
    frames: int

    @classmethod
    def open(cls, caller: Path | None, agent: Path | None) -> StereoMix | None:
        sources = tuple(p for p in (caller, agent) if p is not None)
        if not sources:
            return None
        frames = max(sf.info(str(p)).frames for p in sources)
        return cls(sources, frames)

    @property
    def channels(self) -> int:
        return len(self.sources)

    @property
    def frame_bytes(self) -> int:
        return 2 * self.channels

    @property
    def size(self) -> int:
        return HEADER_BYTES + self.frames * self.frame_bytes

    def parse_range(self, header: str | None) -> tuple[int, int] | None:
        """``Range: bytes=a-b`` -> inclusive (first, last), capped; None: the whole file."""
        if not header:
            return None
        m = _RANGE.match(header.strip())
        if not m or (not m.group(1) and not m.group(2)):
            raise RangeNotSatisfiable(header)
        if m.group(1):
            first = int(m.group(1))
            last = int(m.group(2)) if m.group(2) else self.size - 1
        else:  # suffix range: the last N bytes
            first = max(0, self.size - int(m.group(2)))
            last = self.size - 1
        last = min(last, self.size - 1, first + MAX_RANGE_BYTES - 1)
        if first >= self.size or first > last:
            raise RangeNotSatisfiable(header)
        return first, last

    def read(self, first: int, last: int) -> bytes:
        """Bytes ``first..last`` (inclusive) of the virtual file."""
        out = bytearray()
        if first < HEADER_BYTES:
            out += wav_header(self.frames, self.channels)[first : min(last + 1, HEADER_BYTES)]
        if last >= HEADER_BYTES:
            a = max(first, HEADER_BYTES) - HEADER_BYTES
            b = last + 1 - HEADER_BYTES
            f0 = a // self.frame_bytes
            f1 = min(self.frames, -(-b // self.frame_bytes))
            block = self._frames(f0, f1)
            skip = a - f0 * self.frame_bytes
            out += block[skip : skip + (b - a)]
        return bytes(out)

    def iter_all(self, chunk_frames: int = 1 << 16) -> Iterator[bytes]:
        yield wav_header(self.frames, self.channels)
        for f0 in range(0, self.frames, chunk_frames):
            yield self._frames(f0, min(self.frames, f0 + chunk_frames))

    def _frames(self, f0: int, f1: int) -> bytes:
        n = max(0, f1 - f0)
        mix = np.zeros((n, self.channels), dtype=np.int16)
        for ch, path in enumerate(self.sources):
            with sf.SoundFile(str(path)) as f:
                if f0 >= f.frames:
                    continue
                f.seek(f0)
                data = f.read(min(n, f.frames - f0), dtype="int16", always_2d=True)
            mix[: len(data), ch] = data[:, 0]
        return mix.tobytes()
