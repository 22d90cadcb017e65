"""``heard eval cues DIR [--json] [--check]``: score the cue engine on call scripts.

Scoring is exactly that of ``../shared/calls/README.md``:

- expected pairs: (call, kind) for every kind a script lists; raised pairs: (call,
  kind) for every kind the engine raised at least once in that call;
- precision = |expected ∩ raised| / |raised|, recall = |expected ∩ raised| / |expected|,
  overall and per kind;
- placement: share of matched pairs whose first raising is on the listed turn or the
  next one (speech-to-text may split or merge utterances);
- routine_false: cues raised on scripts that list none;
- context: accuracy of arrival, repeat_contact, resolvable, heavy and micro-F1 of
  stakes and departments (lower-cased, as said), over the scripts that give them,
  against the engine's own ``CallContext`` at the end of the call.

Each turn is fed as a final :class:`Utterance` (call id = script id, synthetic
times); ``end_call()`` follows the last turn. ``raised`` in the JSON lists every
kind raised with the 0-based index of its first turn, so anyone can recompute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cues.engine import CueEngine
from cues.playbook import Playbook, PlaybookError, default_playbook, load_playbook
from cues.scripts import Script, ScriptError, load_scripts
from cues.types import CUE_KINDS, CallContext
from transcription.types import Utterance

#: The bars of issue 3 (``--check``).
BARS = {"precision": 0.92, "recall": 0.90, "placement": 0.90, "kind_recall": 0.67}
TURN_SECONDS = 4.0


@dataclass(frozen=True, slots=True)
class CallRun:
    """What the engine did on one script."""

    script: Script
    raised: dict[str, int]  # kind -> turn of first raising
    context: CallContext
    seconds: float
    #: kind -> the words behind its card (latest evidence), for ``-v``: which words a
    #: trainer should look for in the playbook when a card was not wanted
    quotes: dict[str, str] = field(default_factory=dict)


def script_utterances(script: Script) -> list[Utterance]:
    """The script's turns as final utterances on a synthetic clock."""
    seqs = {"caller": 0, "agent": 0}
    out: list[Utterance] = []
    for i, turn in enumerate(script.turns):
        seq = seqs[turn.speaker]
        seqs[turn.speaker] += 1
        start = i * TURN_SECONDS
        out.append(
            Utterance(
                call_id=script.id,
                speaker=turn.speaker,
                seq=seq,
                text=turn.text,
                start=start,
                end=start + TURN_SECONDS - 0.5,
                final=True,
            )
        )
    return out


def run_script(script: Script, playbook: Playbook | None = None) -> CallRun:
    utts = script_utterances(script)
    t0 = time.process_time()  # CPU time: one core, whatever the machine load
    engine = CueEngine(script.id, playbook)
    for u in utts:
        engine.feed(u)
    engine.end_call()
    seconds = time.process_time() - t0
    return CallRun(
        script=script,
        raised=engine.raised_kinds(),
        context=engine.context,
        seconds=seconds,
        quotes={c.kind: c.evidence.quote for c in engine.cues},
    )


@dataclass(slots=True)
class _Counts:
    expected: int = 0
    raised: int = 0
    matched: int = 0
    placed: int = 0


@dataclass(slots=True)
class _F1:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: Iterable[str], expected: Iterable[str]) -> None:
        p, e = set(predicted), set(expected)
        self.tp += len(p & e)
        self.fp += len(p - e)
        self.fn += len(e - p)

    @property
    def f1(self) -> float:
        if self.tp == 0:
            return 1.0 if self.fp == 0 and self.fn == 0 else 0.0
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


@dataclass
class Report:
    precision: float
    recall: float
    placement: float
    routine_false: int
    per_kind: dict[str, dict[str, float | int]]
    context: dict[str, float]
    utterances_per_s: float
    raised: dict[str, list[dict[str, Any]]]
    misses: list[str] = field(default_factory=list)  # human-readable, not in the JSON
    scripts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "scripts": self.scripts,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "placement": round(self.placement, 4),
            "routine_false": self.routine_false,
            "per_kind": self.per_kind,
            "context": {k: round(v, 4) for k, v in self.context.items()},
            "utterances_per_s": round(self.utterances_per_s, 1),
            "raised": self.raised,
        }


def score(runs: Sequence[CallRun]) -> Report:
    per_kind: dict[str, _Counts] = {k: _Counts() for k in CUE_KINDS}
    routine_false = 0
    misses: list[str] = []
    raised_json: dict[str, list[dict[str, Any]]] = {}
    acc = {f: [0, 0] for f in ("arrival", "repeat_contact", "resolvable", "heavy")}
    stakes, depts = _F1(), _F1()
    turns = 0
    seconds = 0.0
    for run in runs:
        s = run.script
        turns += len(s.turns)
        seconds += run.seconds
        expected = s.expected()
        raised_json[s.id] = [
            {"kind": k, "turn": t}
            for k, t in sorted(run.raised.items(), key=lambda kv: (kv[1], kv[0]))
        ]
        if s.routine:
            routine_false += len(run.raised)
        for kind, turn in expected.items():
            c = per_kind[kind]
            c.expected += 1
            if kind in run.raised:
                c.matched += 1
                got = run.raised[kind]
                if turn <= got <= turn + 1:
                    c.placed += 1
                else:
                    misses.append(f"{s.id}: {kind} on turn {got}, listed on {turn} (placement)")
            else:
                said = _said(s, turn)
                misses.append(f"{s.id}: {kind} missed (listed on turn {turn}){said}")
        for kind, got in run.raised.items():
            per_kind[kind].raised += 1
            if kind not in expected:
                words = run.quotes.get(kind)
                why = f' on "{words}"' if words else ""
                misses.append(f"{s.id}: {kind} raised on turn {got}, not expected{why}")
        _score_context(run, acc, stakes, depts)

    tot = _Counts(
        expected=sum(c.expected for c in per_kind.values()),
        raised=sum(c.raised for c in per_kind.values()),
        matched=sum(c.matched for c in per_kind.values()),
        placed=sum(c.placed for c in per_kind.values()),
    )
    context = {f: _ratio(ok, n) for f, (ok, n) in acc.items() if n}
    context["stakes_f1"] = stakes.f1
    context["departments_f1"] = depts.f1
    return Report(
        precision=_ratio(tot.matched, tot.raised),
        recall=_ratio(tot.matched, tot.expected),
        placement=_ratio(tot.placed, tot.matched),
        routine_false=routine_false,
        per_kind={
            k: {
                "precision": round(_ratio(c.matched, c.raised), 4),
                "recall": round(_ratio(c.matched, c.expected), 4),
                "expected": c.expected,
                "raised": c.raised,
            }
            for k, c in per_kind.items()
        },
        context=context,
        utterances_per_s=turns / seconds if seconds > 0 else 0.0,
        raised=raised_json,
        misses=misses,
        scripts=len(runs),
    )


def _said(script: Script, turn: int, width: int = 100) -> str:
    """': [speaker] "the turn's words"', cut to ``width`` (for a miss in ``-v``)."""
    if not 0 <= turn < len(script.turns):
        return ""
    t = script.turns[turn]
    text = t.text if len(t.text) <= width else t.text[: width - 1] + "…"
    return f': [{t.speaker}] "{text}"'


def _score_context(run: CallRun, acc: dict[str, list[int]], stakes: _F1, depts: _F1) -> None:
    want, got = run.script.call, run.context
    for f in ("arrival", "repeat_contact", "resolvable", "heavy"):
        w = getattr(want, f)
        if w is None:
            continue
        acc[f][1] += 1
        acc[f][0] += int(getattr(got, f) == w)
    if want.stakes is not None:
        stakes.add(got.stakes, want.stakes)
    if want.departments is not None:
        depts.add((d.strip().lower() for d in got.departments), want.departments)


def evaluate_dir(directory: str | Path, playbook: Playbook | None = None) -> Report:
    scripts = load_scripts(directory)
    playbook = playbook if playbook is not None else default_playbook()  # load outside the clock
    return score([run_script(s, playbook) for s in scripts])


def check(report: Report) -> list[str]:
    """The bars of issue 3 that the report fails (empty when all pass)."""
    failed: list[str] = []
    for name in ("precision", "recall", "placement"):
        value = getattr(report, name)
        if value < BARS[name]:
            failed.append(f"{name} {value:.3f} < {BARS[name]}")
    for kind, c in report.per_kind.items():
        if c["expected"] and float(c["recall"]) < BARS["kind_recall"]:
            failed.append(f"{kind} recall {float(c['recall']):.3f} < {BARS['kind_recall']}")
    if report.routine_false:
        failed.append(f"routine_false {report.routine_false} > 0")
    return failed


def _table(report: Report) -> str:
    lines = [f"{'kind':<18} {'expected':>8} {'raised':>7} {'precision':>9} {'recall':>7}"]
    for kind, c in report.per_kind.items():
        lines.append(
            f"{kind:<18} {c['expected']:>8} {c['raised']:>7} "
            f"{float(c['precision']):>9.3f} {float(c['recall']):>7.3f}"
        )
    lines.append("")
    lines.append(
        f"scripts {report.scripts}  precision {report.precision:.3f}  recall {report.recall:.3f}  "
        f"placement {report.placement:.3f}  routine_false {report.routine_false}  "
        f"{report.utterances_per_s:,.0f} utterances/s"
    )
    lines.append("context: " + "  ".join(f"{k} {v:.3f}" for k, v in report.context.items()))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard eval cues", description=__doc__.splitlines()[0])
    ap.add_argument("directory", help="a folder of call scripts (*.yaml)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--check", action="store_true", help="exit 1 below the issue's bars")
    ap.add_argument("--playbook", help="a playbook file (default: the packaged one)")
    ap.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every miss: the listed turn's words, or the words behind an unwanted card",
    )
    args = ap.parse_args(argv)
    try:
        playbook = load_playbook(args.playbook) if args.playbook else None
        report = evaluate_dir(args.directory, playbook)
    except (ScriptError, PlaybookError) as exc:
        print(f"heard eval cues: {exc}", file=sys.stderr)
        return 2
    if report.scripts == 0:
        print(f"heard eval cues: no *.yaml scripts in {args.directory}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(_table(report))
    if args.verbose:
        for m in report.misses:
            print("  " + m, file=sys.stderr)
    if args.check:
        failed = check(report)
        for f in failed:
            print(f"below the bar: {f}", file=sys.stderr)
        if failed:
            return 1
        print("all cue bars met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
