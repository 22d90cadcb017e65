"""Measure the pattern engine alone vs the union with the semantic detector.

    python -m tests.measure_semantic DIR [DIR ...] [--mode full|static] [--offset 0.0]
        [--playbook FILE] [--exemplars FILE] [--emotions TSV] [--json]

For every script the real :class:`cues.engine.CueEngine` runs as ``heard eval cues``
runs it; the semantic detector reads the same utterances. The union rule (the one
recommended for the engine):

- a semantic hit of kind K on turn t (score >= K's threshold + ``offset``) raises K
  on t when the engine has not raised K earlier in the call;
- a semantic ``heavy`` hit (bereavement, grave news), or a union-raised
  ``urgent_risk``/``abuse``, makes the call heavy: ``take_a_reset`` on the last turn
  if the engine did not raise it.

Scores are computed once per utterance, so ``--sweep`` can try several offsets on
the same run. Scoring is :func:`cues.evaluate.score` (the shared README's rules);
GoEmotions uses :func:`cues.yardsticks.read_goemotions` and its label sets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cues.engine import CueEngine
from cues.evaluate import CallRun, Report, score, script_utterances
from cues.playbook import Playbook, default_playbook, load_playbook
from cues.scripts import Script, load_scripts
from cues.semantic import SemanticDetector
from cues.yardsticks import ANGER, FEAR, NEUTRAL, kinds_for_text, read_goemotions

HEAVY_KINDS = frozenset({"urgent_risk", "abuse"})


@dataclass
class Observed:
    """One script: what the engine raised, and every utterance's semantic scores."""

    script: Script
    engine_raised: dict[str, int]
    context: Any
    sem: list[list[tuple[str, float]]]  # per turn: (kind, score) past the margin
    engine_s: float
    sem_s: float


def observe(script: Script, pb: Playbook, det: SemanticDetector) -> Observed:
    utts = script_utterances(script)
    t0 = time.process_time()
    engine = CueEngine(script.id, pb)
    for u in utts:
        engine.feed(u)
    engine.end_call()
    t1 = time.process_time()
    sem = [[(k, s) for k, s, _n, _q in det.scores(u.text, u.speaker)] for u in utts]
    t2 = time.process_time()
    return Observed(script, engine.raised_kinds(), engine.context, sem, t1 - t0, t2 - t1)


def union(obs: Observed, det: SemanticDetector, offset: float, use_semantic: bool) -> CallRun:
    raised = dict(obs.engine_raised)
    if use_semantic:
        heavy_turn: int | None = None
        for turn, hits in enumerate(obs.sem):
            for kind, s in hits:
                if s < det.exemplars.kinds[kind].threshold + offset:
                    continue
                if kind == "heavy" or kind in HEAVY_KINDS:
                    heavy_turn = turn if heavy_turn is None else heavy_turn
                if kind == "heavy":
                    continue
                if kind not in raised or raised[kind] > turn:
                    raised[kind] = turn
        if heavy_turn is not None and "take_a_reset" not in raised:
            raised["take_a_reset"] = len(obs.sem) - 1
    return CallRun(
        script=obs.script,
        raised=raised,
        context=obs.context,
        seconds=obs.engine_s + (obs.sem_s if use_semantic else 0.0),
    )


def measure(
    directory: str, pb: Playbook, det: SemanticDetector, offsets: list[float]
) -> dict[str, Any]:
    observed = [observe(s, pb, det) for s in load_scripts(directory)]
    turns = sum(len(o.script.turns) for o in observed)
    eng_s = sum(o.engine_s for o in observed)
    sem_s = sum(o.sem_s for o in observed)
    out: dict[str, Any] = {
        "dir": directory,
        "scripts": len(observed),
        "utterances": turns,
        "engine_utt_per_s": round(turns / eng_s, 1) if eng_s else 0.0,
        "union_utt_per_s": round(turns / (eng_s + sem_s), 1) if eng_s + sem_s else 0.0,
        "patterns": _summary(score([union(o, det, 0.0, False) for o in observed])),
    }
    for off in offsets:
        rep = score([union(o, det, off, True) for o in observed])
        out[f"union{off:+.2f}"] = _summary(rep)
    return out


def _summary(rep: Report) -> dict[str, Any]:
    return {
        "precision": round(rep.precision, 3),
        "recall": round(rep.recall, 3),
        "placement": round(rep.placement, 3),
        "routine_false": rep.routine_false,
        "per_kind": {
            k: f"{c['precision']:.2f}/{c['recall']:.2f} ({c['raised']}/{c['expected']})"
            for k, c in rep.per_kind.items()
            if c["expected"] or c["raised"]
        },
        "misses": rep.misses,
    }


def emotions(tsv: Path, pb: Playbook, det: SemanticDetector, offset: float) -> dict[str, Any]:
    """GoEmotions: orient on fear/nervousness, validate_first on anger/annoyance."""
    c = {k: 0 for k in ("fear", "anger", "neutral")}
    hit = {f"{m}_{k}": 0 for m in ("patterns", "union") for k in c}
    for text, labels in read_goemotions(tsv):
        groups = {
            "fear": bool(labels & set(FEAR)),
            "anger": bool(labels & set(ANGER)),
            "neutral": labels == {NEUTRAL},
        }
        if not any(groups.values()):
            continue
        pat = kinds_for_text(text, "caller", pb)
        sem = {
            h.kind
            for h in det.detect(text, "caller")
            if h.score >= det.exemplars.kinds[h.kind].threshold + offset
        }
        both = pat | sem
        for g, on in groups.items():
            if not on:
                continue
            c[g] += 1
            for name, kinds in (("patterns", pat), ("union", both)):
                if g == "fear":
                    hit[f"{name}_fear"] += "orient" in kinds
                elif g == "anger":
                    hit[f"{name}_anger"] += "validate_first" in kinds
                else:
                    hit[f"{name}_neutral"] += bool(kinds & {"orient", "validate_first"})
    return {
        name: {
            "orient_recall": round(hit[f"{name}_fear"] / max(c["fear"], 1), 3),
            "validate_recall": round(hit[f"{name}_anger"] / max(c["anger"], 1), 3),
            "neutral_false_rate": round(hit[f"{name}_neutral"] / max(c["neutral"], 1), 3),
        }
        for name in ("patterns", "union")
    } | {"counts": c}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--mode", default="full", choices=("full", "static"))
    ap.add_argument("--offset", type=float, action="append", help="threshold offsets to try")
    ap.add_argument("--playbook")
    ap.add_argument("--exemplars")
    ap.add_argument("--emotions", help="GoEmotions TSV (e.g. dev.tsv)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the union's misses")
    args = ap.parse_args(argv)
    offsets = args.offset or [0.0]
    pb = load_playbook(args.playbook) if args.playbook else default_playbook()
    t0 = time.process_time()
    det = SemanticDetector.load(args.exemplars, mode=args.mode)
    load_s = time.process_time() - t0
    results: list[dict[str, Any]] = [measure(d, pb, det, offsets) for d in args.dirs]
    emo = emotions(Path(args.emotions), pb, det, offsets[0]) if args.emotions else None
    if args.json:
        print(
            json.dumps(
                {"load_s": load_s, "mode": args.mode, "results": results, "emotions": emo}, indent=1
            )
        )
        return 0
    print(f"mode {args.mode}, detector load {load_s:.1f} s CPU")
    for r in results:
        print(
            f"\n== {r['dir']}  ({r['scripts']} scripts, {r['utterances']} utterances; "
            f"engine {r['engine_utt_per_s']:,.0f} utt/s, union {r['union_utt_per_s']:,.0f})"
        )
        for key, s in r.items():
            if not isinstance(s, dict):
                continue
            print(
                f"  {key:<12} P {s['precision']:.3f}  R {s['recall']:.3f}  "
                f"place {s['placement']:.3f}  routine_false {s['routine_false']}"
            )
            print("      " + "  ".join(f"{k} {v}" for k, v in s["per_kind"].items()))
            if args.verbose and key != "patterns":
                for m in s["misses"]:
                    print("        " + m)
    if emo:
        print(f"\nGoEmotions {args.emotions}: {emo}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
