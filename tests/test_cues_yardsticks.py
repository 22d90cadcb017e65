"""The outside yardsticks' readers and metrics, on small files laid out like the real ones."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cues.bench import main as bench_main
from cues.yardsticks import dialogue_turns, eval_emotions, eval_robustness, main

LABELS = ["anger", "annoyance", "fear", "nervousness", "joy", "neutral"]


def _goemotions(tmp_path: Path) -> Path:
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n")
    rows = [
        ("I'm so scared of what they'll find.", "2", "a"),
        ("Honestly I'm nervous as hell about tomorrow.", "3", "b"),
        ("The sky is blue.", "2", "c"),  # labelled fear, not detectably so
        ("This is absolutely ridiculous.", "0", "d"),
        ("I'm so fed up with this.", "1", "e"),
        ("The meeting is at noon on Tuesday.", "5", "f"),
        ("I bought a new lamp for the desk.", "5", "g"),
        ("What a lovely day!", "4", "h"),  # joy: not counted anywhere
    ]
    path = tmp_path / "test.tsv"
    path.write_text("".join(f"{t}\t{lab}\t{i}\n" for t, lab, i in rows))
    return path


def test_emotions_metrics(tmp_path: Path) -> None:
    r = eval_emotions(_goemotions(tmp_path))
    assert r.orient_recall == pytest.approx(2 / 3)
    assert r.validate_recall == 1.0
    assert r.neutral_false_rate == 0.0
    assert r.counts["neutral"] == 2


def test_emotions_needs_the_labels_file(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("x\t0\tid\n")
    assert main(["emotions", str(path)]) == 2


def _aci(root: Path) -> Path:
    d = root / "src_experiment_data"
    d.mkdir(parents=True)
    ref = {
        "E1": "[doctor] hi how are you\n[patient] i'm really scared about this lump\n"
        "[doctor] we'll get it checked",
        "E2": "[doctor] any chest pain\n[patient] no chest pain at all\n[patient_guest] hi",
    }
    asr = {
        "E1": "[doctor] hi how are you\n[patient] i'm really scared about this lump\n"
        "[doctor] we'll get it checked",
        "E2": "[doctor] any chest pain\n[patient] i have chest pain\n",  # misrecognised
    }
    for name, data in (("test1_aci_asr.csv", asr), ("test1_aci_asrcorr.csv", ref)):
        with (d / name).open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["dataset", "id", "dialogue", "note"])
            for k, v in data.items():
                w.writerow(["aci", k, v, ""])
    return root


def test_dialogue_lines_map_doctor_to_agent_and_patient_to_caller() -> None:
    turns = dialogue_turns("[doctor] hello\n[patient] hi there\n[patient_guest] me too\nnoise")
    assert turns == [("agent", "hello"), ("caller", "hi there")]


def test_robustness_agreement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = eval_robustness(_aci(tmp_path))
    assert r.encounters == 2
    assert r.agreement == 0.5  # E1 same, E2 differs (urgent_risk only on the ASR side)
    assert r.kinds["urgent_risk"]["asr"] == 1 and r.kinds["urgent_risk"]["corrected"] == 0
    assert main(["robustness", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["encounters"] == 2
    assert main(["robustness", str(tmp_path / "nothing")]) == 2


def test_bench_reports_a_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripts = Path(__file__).parent / "scripts"
    assert bench_main(["--scripts", str(scripts), "--rounds", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["utterances"] > 50 and out["utterances_per_s"] > 0
    assert out["min_utterances_per_s"] <= out["utterances_per_s"] <= out["best_utterances_per_s"]
