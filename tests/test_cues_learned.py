"""The learned layer of the cue engine (cues/learned.py, cues/train.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cues.engine import CueEngine
from cues.learned import (
    ARTIFACT,
    ENV_ARTIFACT,
    LearnedError,
    LearnedModel,
    default_model,
    features,
)
from cues.train import KINDS, main
from cues.types import AGENT_KINDS, CALLER_KINDS
from tests.cue_support import kinds

# --- features -------------------------------------------------------------------------


def test_features_mark_negation_scope_until_punctuation() -> None:
    f = features("i'm not scared, i'm worried")
    assert "n:scared" in f
    assert "n:worried" not in f  # the comma ends the scope
    assert "b:not scared" in f and "t:i'm not scared" in f


def test_features_read_apostrophe_less_contractions() -> None:
    assert features("i dont know im scared") == features("i don't know i'm scared")


def test_features_knowing_is_not_negated_content() -> None:
    assert "n:what" not in features("i don't know what happens next")


# --- artifact -------------------------------------------------------------------------


_WALK_TEXTS = (
    "I don't know, but I'm not scared, just not sure about the biopsy",
    "no. never. but fine, nobody called, im not worried, dont worry",
    "can't breathe , can't sleep ; not again but still",
    "",
    "but but but",
    "dont dont do n't ill ill, 'cause i'm not, but",
)


def _script_texts() -> list[str]:
    """Every turn of the project's own scripted calls (a few hundred utterances)."""
    from cues.scripts import load_scripts

    scripts = load_scripts(Path(__file__).parent / "scripts")
    return [t.text.lower() for s in scripts for t in s.turns]


def test_walked_rows_are_the_features_rows_in_order() -> None:
    """Scoring walks the tokens without building feature strings (ids for the n-grams,
    a token's own rows kept); the rows (and so the float sums) must be exactly those
    of :func:`features` in the vocabulary, in the same order, and the dense rows
    those of the tokens in ``dense_index``."""
    from cues.learned import tokens

    model = default_model()
    assert model is not None and model.dense_index is not None
    for text in (*_WALK_TEXTS, *_WALK_TEXTS, *_script_texts()):  # twice: the cache
        toks = tokens(text)
        want = model.rows(features(text, model.clusters))
        dense = [i for i in map(model.dense_index.get, toks) if i is not None]
        assert model._walk_rows(toks) == (want, dense), text


def test_emotion_reader_walks_the_same_rows() -> None:
    """The emotion reader's index keys its word table by the words as written."""
    from cues.emotion import EMOTION_WORD, default_reader
    from cues.learned import raw_tokens

    reader = default_reader()
    assert reader is not None and reader._index is not None
    for text in (*_WALK_TEXTS, *_WALK_TEXTS, *_script_texts()):
        want = [i for i in map(reader.vocab.get, features(text)) if i is not None]
        words = [i for i in map(reader.words.get, EMOTION_WORD.findall(text)) if i is not None]
        assert reader._index.walk(raw_tokens(text)) == (want, words), text


def test_committed_artifact_loads_small_and_consistent() -> None:
    assert ARTIFACT.is_file()
    assert ARTIFACT.stat().st_size < 5 * 1024 * 1024  # word table included
    model = default_model()
    assert model is not None
    assert model.kinds == KINDS  # sorted, take_a_reset is never learned
    assert model.weights.shape == (len(model.vocab), len(model.kinds))
    assert model.enabled <= set(KINDS)
    assert model.vetoing <= set(KINDS)
    # the distilled word table travels with the weights; no model is loaded at run time
    assert model.dense_index is not None and model.dense_vectors is not None
    assert model.dense_vectors.shape[0] == len(model.dense_index)
    assert "terrified" in model.dense_index


def test_a_trigger_marked_learned_veto_false_keeps_its_match() -> None:
    """The veto drops wording the playbook misreads, not an emotion named outright."""
    k = len(KINDS)
    vetoes = np.full(k, np.nan, np.float32)
    vetoes[KINDS.index("validate_first")] = -1.0
    model = LearnedModel(
        KINDS, {"w:x": 0}, np.zeros((1, k), np.float32), np.full(k, -10.0, np.float32),
        np.full(k, np.nan, np.float32), vetoes,
    )  # fmt: skip
    # loose_anger (learned_veto: false) survives a model that scores it far below
    assert "validate_first" in kinds("I'm really angry.", learned=model, emotion=False)
    # angry_at_thing (vetoable) does not
    assert "validate_first" not in kinds("This is ridiculous.", learned=model, emotion=False)
    assert "validate_first" in kinds("This is ridiculous.", learned=False, emotion=False)


def test_pruning_drops_only_features_too_small_to_move_a_score() -> None:
    model = default_model()
    assert model is not None
    small = model.pruned(0.05)  # the committed artifact is already pruned at 0.005
    assert len(small.vocab) < len(model.vocab)
    assert small.weights.shape == (len(small.vocab), len(model.kinds))
    for text in ("i'm so scared about the biopsy results", "someone will call you back soon"):
        n = len(features(text, model.clusters))
        diff = np.abs(model.scores(text) - small.scores(text)).max()
        assert diff <= 0.05 * n


def test_bad_artifact_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "learned.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LearnedError, match=r"learned\.npz"):
        LearnedModel.load(bad)
    np.savez(bad, kinds=np.array(["orient"]))  # fields missing
    with pytest.raises(LearnedError):
        LearnedModel.load(bad)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(LearnedError):
        LearnedModel(
            ("orient",), {"w:a": 0}, np.zeros((2, 1), np.float32),
            np.zeros(1, np.float32), np.zeros(1, np.float32),
        )  # fmt: skip


# --- per kind: the learned layer alone (sentences no pattern of the playbook reads) ----

#: (kind, positive, negative) in the wording of an unseen caller/agent; scored by the
#: model alone so that the test is about the layer, not the patterns.
CASES = [
    ("orient", "I keep reading things online about my scan and I feel sick about it",
     "I keep reading about the new parking garage online"),
    ("subtext_exhausted", "how many more weeks until the chair finally gets here",
     "the chair is blue and it has four wheels"),
    ("offer_choice", "my head is spinning with all these forms and letters",
     "I filled in the form and mailed the letter"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "pos", "neg"), CASES)
def test_layer_scores_positive_above_negative(kind: str, pos: str, neg: str) -> None:
    model = default_model()
    assert model is not None
    assert model.score(pos.lower(), kind) > model.score(neg.lower(), kind)
    if kind in model.enabled:
        i = model.index(kind)
        assert model.score(neg.lower(), kind) < model.thresholds[i]


def test_caller_kinds_never_from_agent_turns() -> None:
    text = "I'm terrified, nobody has told me anything and I can't take all of this"
    assert not (kinds(text, "agent") & CALLER_KINDS)
    assert not (kinds("We can't cover that, someone will call you soon", "caller") & AGENT_KINDS)


def test_learned_false_is_patterns_alone() -> None:
    model = default_model()
    assert model is not None
    engine = CueEngine("t", learned=False)
    assert engine._learned is None


def test_negated_fear_raises_nothing() -> None:
    assert not kinds("No, I'm not worried about it at all, just booking the physical.")


def test_routine_booking_raises_nothing() -> None:
    assert not kinds("Hi, I'd like to book my annual physical for next Tuesday morning.")


# --- training -------------------------------------------------------------------------

_SCRIPT = """id: {id}
title: tiny
turns:
  - agent: "Clinic, this is Sam."
  - caller: "{caller}"
{cue}  - agent: "Okay, let me look."
"""


def test_training_command_rebuilds_an_artifact(tmp_path: Path) -> None:
    d = tmp_path / "scripts"
    d.mkdir()
    fear = ["I'm so scared about the biopsy", "I'm terrified of the results", "I'm scared"]
    calm = ["I need to update my address", "Can I book a physical", "What are your hours"]
    for i, text in enumerate(fear):
        (d / f"f{i}.yaml").write_text(
            _SCRIPT.format(id=f"f{i}", caller=text, cue="    cues: [orient]\n")
        )
    for i, text in enumerate(calm):
        (d / f"c{i}.yaml").write_text(_SCRIPT.format(id=f"c{i}", caller=text, cue=""))
    out = tmp_path / "m.npz"
    # no distilled word table: that needs the embedding model (extra train-cues), not in CI
    rc = main([
        "--scripts", str(d), "--no-goemotions", "--out", str(out), "--folds", "2",
        "--dense", "0", "--clusters", "0",
    ])  # fmt: skip
    assert rc == 0
    model = LearnedModel.load(out)
    assert model.kinds == KINDS
    assert model.score("i'm so scared", "orient") > model.score("update my address", "orient")


def test_training_refuses_held_out_scripts(tmp_path: Path) -> None:
    held = tmp_path / "heldout_x"
    held.mkdir()
    assert main(["--scripts", str(held), "--no-goemotions", "--out", str(tmp_path / "m.npz")]) == 2


def test_training_leaves_out_excluded_sets(tmp_path: Path) -> None:
    d = tmp_path / "scripts"
    other = tmp_path / "other"
    for folder in (d, other):
        folder.mkdir()
    for i, text in enumerate(["I'm so scared about the biopsy", "I'm terrified", "I'm scared"]):
        (d / f"f{i}.yaml").write_text(
            _SCRIPT.format(id=f"f{i}", caller=text, cue="    cues: [orient]\n")
        )
    for i, text in enumerate(["I need to update my address", "Can I book a physical"]):
        (d / f"c{i}.yaml").write_text(_SCRIPT.format(id=f"c{i}", caller=text, cue=""))
    (other / "x.yaml").write_text(_SCRIPT.format(id="x", caller="zebra quokka", cue=""))
    out = tmp_path / "m.npz"
    args = ["--scripts", str(d), str(other), "--exclude", str(other)]
    no_table = ["--dense", "0", "--clusters", "0"]  # the table needs the extra train-cues
    assert main([*args, "--no-goemotions", "--out", str(out), "--folds", "2", *no_table]) == 0
    vocab = LearnedModel.load(out).vocab
    assert "w:scared" in vocab
    assert not any("quokka" in f for f in vocab)  # the left-out set's words never seen


# --- the distilled word table (clusters, dense mean vector) ----------------------------


def _table_model() -> LearnedModel:
    kinds = ("orient", "own_it")
    vocab = {"w:scared": 0, "c:1": 1}
    weights = np.array([[2.0, 0.0], [1.0, 0.0]], np.float32)
    return LearnedModel(
        kinds, vocab, weights, np.zeros(2, np.float32), np.array([1.5, np.nan], np.float32),
        clusters={"scared": 1, "terrified": 1, "address": 2},
        dense_index={"terrified": 0, "address": 1},
        dense_vectors=np.array([[1.0, 0.0], [0.0, 1.0]], np.float32),
        dense_weights=np.array([[3.0, 0.0], [0.0, 1.0]], np.float32),
    )  # fmt: skip


def test_clusters_and_dense_vectors_let_unseen_words_share_weights(tmp_path: Path) -> None:
    model = _table_model()
    assert "c:1" in features("terrified", model.clusters)
    assert "m:1" in features("not terrified", model.clusters)  # the cluster, negated
    # "terrified" has no n-gram weight of its own: its cluster and vector carry it
    assert model.score("terrified", "orient") == pytest.approx(1.0 + 3.0)
    assert model.score("my address", "orient") == pytest.approx(0.0)
    assert model.score("my address", "own_it") == pytest.approx(1.0)
    path = tmp_path / "t.npz"
    model.save(path)
    back = LearnedModel.load(path)
    assert back.clusters == model.clusters
    assert back.score("terrified", "orient") == pytest.approx(4.0)
    assert back.hits("terrified", ["orient", "own_it"]) == [("orient", pytest.approx(4.0))]


def test_dense_parts_go_together() -> None:
    with pytest.raises(LearnedError, match="together"):
        LearnedModel(
            ("orient",), {"w:a": 0}, np.zeros((1, 1), np.float32), np.zeros(1, np.float32),
            np.zeros(1, np.float32), dense_weights=np.zeros((2, 1), np.float32),
        )  # fmt: skip


def test_environment_names_another_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "other.npz"
    _table_model().save(path)
    monkeypatch.setenv(ENV_ARTIFACT, str(path))
    default_model.cache_clear()
    try:
        model = default_model()
        assert model is not None and model.path == str(path)
        assert "orient" in kinds("i am terrified", learned=model)
        monkeypatch.setenv(ENV_ARTIFACT, str(tmp_path / "missing.npz"))
        default_model.cache_clear()
        with pytest.raises(LearnedError, match="missing"):
            default_model()
    finally:
        monkeypatch.delenv(ENV_ARTIFACT)
        default_model.cache_clear()


def test_run_time_never_imports_torch_or_sklearn() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cues.engine import CueEngine\n"
        "from transcription.types import Utterance\n"
        "e = CueEngine('t')\n"
        "e.feed(Utterance('t', 'caller', 0, 'I am terrified about the scan', 0.0, 1.0, True))\n"
        "bad = {'torch', 'sentence_transformers', 'sklearn', 'scipy'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
