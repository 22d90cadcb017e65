"""Outside yardsticks for the cue engine (data nobody wrote for this project).

``heard eval emotions PATH.tsv [--json]`` (GoEmotions, ``text<TAB>label ids<TAB>id``):
each text is a caller utterance of a fresh call.

- ``orient_recall``: share of texts labelled fear or nervousness that raise ``orient``;
- ``validate_recall``: share labelled anger or annoyance that raise ``validate_first``;
- ``neutral_false_rate``: share labelled neutral (only) that raise either of them.

Label ids are read from ``labels.txt`` beside the file (GoEmotions' own order), so
the ids are never guessed. Tune on ``dev.tsv``; report ``test.tsv``.

``heard eval robustness DIR [--json]`` (ACI-Bench, ``src_experiment_data``): the same
doctor–patient encounters as raw speech-to-text output and as corrected transcripts
(``*_aci_asr.csv`` vs ``*_aci_asrcorr.csv``, ``*_virtscribe_asr.csv`` vs
``*_virtscribe_humantrans.csv``, paired by split and encounter id). Each line
``[doctor] ...`` is an agent utterance, ``[patient] ...`` a caller utterance (other
roles are skipped); the cue kinds raised on both versions are compared:

- ``agreement``: share of encounters whose raised kinds are the same set;
- ``pair_jaccard``: |both| / |either| over (encounter, kind) pairs;
- ``kinds``: per kind, how often it was raised on each version and on both.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cues.engine import CueEngine
from cues.playbook import Playbook, PlaybookError, default_playbook, load_playbook
from transcription.types import Speaker, Utterance

FEAR = ("fear", "nervousness")
ANGER = ("anger", "annoyance")
NEUTRAL = "neutral"


# --- GoEmotions ---------------------------------------------------------------------


def read_labels(tsv: Path) -> list[str]:
    labels = tsv.with_name("labels.txt")
    if not labels.is_file():
        raise FileNotFoundError(f"{labels}: GoEmotions labels.txt not found beside {tsv.name}")
    return [
        line.strip() for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def read_goemotions(tsv: Path) -> Iterator[tuple[str, frozenset[str]]]:
    names = read_labels(tsv)
    with tsv.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            try:
                ids = [int(x) for x in row[1].split(",") if x.strip()]
            except ValueError:
                continue
            yield row[0], frozenset(names[i] for i in ids if 0 <= i < len(names))


def kinds_for_text(
    text: str, speaker: Speaker = "caller", playbook: Playbook | None = None
) -> set[str]:
    """The kinds one utterance raises in a fresh call."""
    engine = CueEngine("yardstick", playbook)
    engine.feed(Utterance("yardstick", speaker, 0, text, 0.0, 1.0, True))
    return {c.kind for c in engine.cues}


@dataclass
class EmotionReport:
    orient_recall: float
    validate_recall: float
    neutral_false_rate: float
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "orient_recall": round(self.orient_recall, 4),
            "validate_recall": round(self.validate_recall, 4),
            "neutral_false_rate": round(self.neutral_false_rate, 4),
            "counts": self.counts,
        }


def eval_emotions(tsv: Path, playbook: Playbook | None = None) -> EmotionReport:
    c: Counter[str] = Counter()
    for text, labels in read_goemotions(tsv):
        fear = bool(labels & set(FEAR))
        anger = bool(labels & set(ANGER))
        neutral = labels == {NEUTRAL}
        if not (fear or anger or neutral):
            continue
        kinds = kinds_for_text(text, "caller", playbook)
        if fear:
            c["fear"] += 1
            c["fear_orient"] += "orient" in kinds
        if anger:
            c["anger"] += 1
            c["anger_validate"] += "validate_first" in kinds
        if neutral:
            c["neutral"] += 1
            c["neutral_false"] += bool(kinds & {"orient", "validate_first"})
            c["neutral_any_cue"] += bool(kinds)
    return EmotionReport(
        orient_recall=c["fear_orient"] / c["fear"] if c["fear"] else 0.0,
        validate_recall=c["anger_validate"] / c["anger"] if c["anger"] else 0.0,
        neutral_false_rate=c["neutral_false"] / c["neutral"] if c["neutral"] else 0.0,
        counts=dict(c),
    )


# --- ACI-Bench ----------------------------------------------------------------------

_LINE = re.compile(r"^\s*\[([a-z_]+)\]\s*(.*)$")
_ROLES: dict[str, Speaker] = {"doctor": "agent", "patient": "caller"}
#: (split stem suffix of the ASR file, suffix of the corrected file)
_PAIRS = (("aci_asr", "aci_asrcorr"), ("virtscribe_asr", "virtscribe_humantrans"))


def dialogue_turns(dialogue: str) -> list[tuple[Speaker, str]]:
    """``[doctor] ...`` / ``[patient] ...`` lines as (speaker, text); other roles skipped."""
    turns: list[tuple[Speaker, str]] = []
    for line in dialogue.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        speaker = _ROLES.get(m.group(1))
        text = m.group(2).strip()
        if speaker is not None and text:
            turns.append((speaker, text))
    return turns


def read_encounters(csv_path: Path) -> dict[str, str]:
    csv.field_size_limit(10_000_000)
    with csv_path.open(encoding="utf-8", newline="") as fh:
        return {row["id"]: row["dialogue"] for row in csv.DictReader(fh) if row.get("id")}


def encounter_pairs(directory: Path) -> Iterator[tuple[str, str, str]]:
    """(encounter key, ASR dialogue, corrected dialogue) for every pair in the folder."""
    root = (
        directory / "src_experiment_data"
        if (directory / "src_experiment_data").is_dir()
        else directory
    )
    for asr_suffix, ref_suffix in _PAIRS:
        for asr_file in sorted(root.glob(f"*_{asr_suffix}.csv")):
            split = asr_file.name[: -len(f"_{asr_suffix}.csv")]
            ref_file = root / f"{split}_{ref_suffix}.csv"
            if not ref_file.is_file():
                continue
            asr, ref = read_encounters(asr_file), read_encounters(ref_file)
            for eid in sorted(asr.keys() & ref.keys()):
                yield f"{split}/{eid}", asr[eid], ref[eid]


def kinds_for_dialogue(
    key: str, turns: Iterable[tuple[Speaker, str]], playbook: Playbook | None = None
) -> set[str]:
    engine = CueEngine(key, playbook)
    seq = {"caller": 0, "agent": 0}
    for i, (speaker, text) in enumerate(turns):
        engine.feed(Utterance(key, speaker, seq[speaker], text, float(i), i + 0.9, True))
        seq[speaker] += 1
    engine.end_call()
    return {c.kind for c in engine.cues}


@dataclass
class RobustnessReport:
    encounters: int
    agreement: float
    pair_jaccard: float
    kinds: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "encounters": self.encounters,
            "agreement": round(self.agreement, 4),
            "pair_jaccard": round(self.pair_jaccard, 4),
            "kinds": self.kinds,
        }


def eval_robustness(directory: Path, playbook: Playbook | None = None) -> RobustnessReport:
    same = n = both = either = 0
    kinds: dict[str, Counter[str]] = {}
    for key, asr, ref in encounter_pairs(directory):
        a = kinds_for_dialogue(key, dialogue_turns(asr), playbook)
        r = kinds_for_dialogue(key, dialogue_turns(ref), playbook)
        n += 1
        same += a == r
        both += len(a & r)
        either += len(a | r)
        for k in a | r:
            c = kinds.setdefault(k, Counter())
            c["asr"] += k in a
            c["corrected"] += k in r
            c["both"] += k in a and k in r
    return RobustnessReport(
        encounters=n,
        agreement=same / n if n else 0.0,
        pair_jaccard=both / either if either else 1.0,
        kinds={k: dict(v) for k, v in sorted(kinds.items())},
    )


# --- CLI ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"emotions", "robustness"}:
        print("usage: heard eval emotions PATH.tsv [--json] | heard eval robustness DIR [--json]")
        return 2
    which, rest = argv[0], argv[1:]
    ap = argparse.ArgumentParser(prog=f"heard eval {which}")
    ap.add_argument("path")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--playbook", help="a playbook file (default: the packaged one)")
    args = ap.parse_args(rest)
    path = Path(args.path)
    try:
        playbook = load_playbook(args.playbook) if args.playbook else default_playbook()
        if which == "emotions":
            if not path.is_file():
                print(f"heard eval emotions: {path}: no such file", file=sys.stderr)
                return 2
            out: dict[str, Any] = eval_emotions(path, playbook).as_json()
        else:
            if not path.is_dir():
                print(f"heard eval robustness: {path}: no such folder", file=sys.stderr)
                return 2
            rob = eval_robustness(path, playbook)
            if rob.encounters == 0:
                print(
                    f"heard eval robustness: no ASR/corrected pairs under {path}", file=sys.stderr
                )
                return 2
            out = rob.as_json()
    except (PlaybookError, FileNotFoundError) as exc:
        print(f"heard eval {which}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
