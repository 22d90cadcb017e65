"""Vosk (Kaldi) adapter: any Vosk model directory, 16 kHz input, words with times.

One :class:`vosk.Model` is shared by every stream; each open utterance has its
own ``KaldiRecognizer`` (``SetWords``/``SetPartialWords`` on). Unlike Whisper,
Kaldi decodes incrementally, so a partial request only feeds the audio that is
new since the last request of the same utterance, and the final feeds the rest
and reads ``FinalResult``. The Endpointer in front decides utterance ends; when
Kaldi's own endpointer fires mid-utterance, its result is kept and merged.

Vosk English small models accept 16 kHz only; the audio edge already delivers
:data:`~transcription.types.SAMPLE_RATE`, so no resampling happens here.

Cost: a ``KaldiRecognizer`` is single-threaded (the small Korean model takes
~0.26 CPU-s per second of audio here), and the C calls release the GIL, so the
requests of different streams in one batch are decoded in parallel on
``threads`` worker threads; one stream's requests stay in order on one thread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.errors import ModelLoadError
from transcription.types import SAMPLE_RATE, Word


@dataclass(slots=True)
class _Open:
    seq: int
    rec: Any
    fed: int = 0
    words: list[dict[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _pcm16(audio: np.ndarray) -> bytes:
    return bytes(np.round(np.clip(audio, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes())


class VoskEngine:
    name = "vosk"
    max_batch = 4
    backlog = 0
    #: Kaldi decodes as audio is fed: a partial request is work its final will not
    #: redo (the decoder may use this to keep partials under load)
    incremental = True

    def __init__(self, model_dir: str | Path, *, threads: int = 2) -> None:
        import vosk

        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise ModelLoadError(f"vosk model directory {path} does not exist")
        if not (path / "am").is_dir() and not (path / "final.mdl").exists():
            raise ModelLoadError(f"{path} does not look like a Vosk model (no am/ directory)")
        vosk.SetLogLevel(-1)
        try:
            self.model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception on a bad model
            raise ModelLoadError(f"cannot load vosk model {path}: {exc}") from exc
        self.path = path
        self._vosk = vosk
        #: open utterances by (stream, seq): a one-shot final of another seq (a second
        #: pass re-decoding earlier audio) must not end the live utterance's recognizer
        self._open: dict[tuple[StreamKey, int], _Open] = {}
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None

    def release(self, key: StreamKey) -> None:
        for k in [k for k in self._open if k[0] == key]:
            del self._open[k]

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        """Decode a batch; different streams in parallel, each stream's requests in order."""
        groups: dict[StreamKey, list[int]] = {}
        for i, req in enumerate(requests):
            groups.setdefault(req.key, []).append(i)
        if self.threads == 1 or len(groups) == 1:
            return [self._one(r) for r in requests]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="heard-vosk")
        results: dict[int, DecodeResult] = {}

        def run(indices: list[int]) -> None:
            for i in indices:
                results[i] = self._one(requests[i])

        futures = [self._pool.submit(run, indices) for indices in groups.values()]
        wait(futures)  # all done before a failure is raised: no stream is decoded twice at once
        for fut in futures:
            fut.result()  # re-raises a failed decode; the decoder then retries one by one
        return [results[i] for i in range(len(requests))]

    def _state(self, req: DecodeRequest) -> _Open:
        st = self._open.get((req.key, req.seq))
        if st is None or st.fed > len(req.audio):
            if req.seq >= 0:  # a new live utterance: earlier ones of the stream are over
                for k in [k for k in self._open if k[0] == req.key and 0 <= k[1] < req.seq]:
                    del self._open[k]
            rec = self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
            rec.SetWords(True)
            rec.SetPartialWords(True)
            st = self._open[(req.key, req.seq)] = _Open(req.seq, rec)
        return st

    def _one(self, req: DecodeRequest) -> DecodeResult:
        st = self._state(req)
        new = req.audio[st.fed :]
        st.fed = len(req.audio)
        step = SAMPLE_RATE // 5  # Kaldi endpoints are checked per fed block
        for i in range(0, len(new), step):
            if st.rec.AcceptWaveform(_pcm16(new[i : i + step])):
                self._keep(st, json.loads(st.rec.Result()))
        if req.final:
            self._keep(st, json.loads(st.rec.FinalResult()))
            self._open.pop((req.key, req.seq), None)
            return self._result(st.texts, st.words, req.offset)
        partial = json.loads(st.rec.PartialResult())
        text = " ".join([*st.texts, str(partial.get("partial", ""))]).strip()
        words = st.words + list(partial.get("partial_result", []))
        res = self._result([text], words, req.offset)
        return res

    @staticmethod
    def _keep(st: _Open, result: dict[str, Any]) -> None:
        text = str(result.get("text", "")).strip()
        if text:
            st.texts.append(text)
            st.words.extend(result.get("result", []))

    @staticmethod
    def _result(texts: list[str], words: list[dict[str, Any]], offset: float) -> DecodeResult:
        out = tuple(
            Word(
                str(w["word"]),
                round(offset + float(w["start"]), 3),
                round(offset + float(w["end"]), 3),
                round(float(w.get("conf", 1.0)), 3),
            )
            for w in words
            if str(w.get("word", "")).strip()
        )
        return DecodeResult(" ".join(t for t in texts if t).strip(), out)
