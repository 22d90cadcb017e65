"""Span-level recall and precision of :mod:`app.security.redaction` on a labelled set.

``python -m app.security.redaction_eval [FILE] [--json] [--errors]``

Matching: a gold span counts as found when the predicted spans overlapping it cover at
least 60% of its characters; a predicted span counts as correct when at least 50% of
its characters lie inside gold spans. "any kind" scores masking (what protects the
patient); "same kind" also requires the predicted kind to equal the gold kind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.security.redaction import Span, find_phi

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "phi_labelled.jsonl"
#: The labelled set's date policy is written against this day (see the set's builder).
REFERENCE_DATE = dt.date(2026, 11, 1)


@dataclass
class Score:
    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "gold": self.gold,
            "predicted": self.predicted,
        }


def _covered(span: tuple[int, int], others: list[tuple[int, int]]) -> int:
    chars: set[int] = set()
    for a, b in others:
        lo, hi = max(a, span[0]), min(b, span[1])
        chars.update(range(lo, hi))
    return len(chars)


def score_item(gold: list[Span], pred: list[Span], same_kind: bool) -> tuple[int, int]:
    found = 0
    for g in gold:
        cands = [(p.start, p.end) for p in pred if not same_kind or p.kind == g.kind]
        if _covered((g.start, g.end), cands) >= 0.6 * (g.end - g.start):
            found += 1
    correct = 0
    for p in pred:
        golds = [(g.start, g.end) for g in gold if not same_kind or g.kind == p.kind]
        if _covered((p.start, p.end), golds) >= 0.5 * (p.end - p.start):
            correct += 1
    return found, correct


def evaluate(path: Path = DEFAULT_SET, today: dt.date = REFERENCE_DATE) -> dict[str, object]:
    scores: dict[str, Score] = defaultdict(Score)
    errors: list[dict[str, object]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        gold = [Span(s["kind"], s["start"], s["end"]) for s in item["spans"]]
        pred = find_phi(item["text"], today=today)
        for same_kind in (False, True):
            f, c = score_item(gold, pred, same_kind)
            keys = ["all", item["form"], item["split"]] if not same_kind else ["same_kind"]
            for key in keys:
                sc = scores[key]
                sc.gold += len(gold)
                sc.found += f
                sc.predicted += len(pred)
                sc.correct += c
        for g in gold:
            sc = scores[f"kind:{g.kind}"]
            sc.gold += 1
            sc.found += score_item([g], pred, False)[0]
        f, c = score_item(gold, pred, False)
        if f < len(gold) or c < len(pred):
            errors.append(
                {
                    "id": item["id"],
                    "split": item["split"],
                    "text": item["text"],
                    "gold": [(s.kind, item["text"][s.start : s.end]) for s in gold],
                    "pred": [(s.kind, item["text"][s.start : s.end]) for s in pred],
                }
            )
    return {"scores": {k: v.as_dict() for k, v in sorted(scores.items())}, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.security.redaction_eval")
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT_SET)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", action="store_true", help="print the items with misses")
    args = ap.parse_args(argv)
    result = evaluate(args.file)
    if args.json:
        print(json.dumps(result["scores"], indent=2))
    else:
        scores = result["scores"]
        assert isinstance(scores, dict)
        for key, s in scores.items():
            if key.startswith("kind:"):  # recall only: predictions are not split by kind
                print(f"{key:<18} recall {s['recall']:.3f}  (gold {s['gold']})")
                continue
            print(
                f"{key:<18} recall {s['recall']:.3f}  precision {s['precision']:.3f}  "
                f"(gold {s['gold']}, predicted {s['predicted']})"
            )
    if args.errors:
        errs = result["errors"]
        assert isinstance(errs, list)
        for e in errs:
            print(json.dumps(e), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
