"""The caller emotion reader (cues/emotion.py) and its gates in the engine.

Two kinds of test: the gates with a tiny hand-made reader (so that what raises is
decided by the gates, not by trained weights), and the committed artifact on
sentences of our own (anger at the situation raises validate_first, anger at the
agent and neutral requests do not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cues.emotion import (
    ARTIFACT,
    EmotionError,
    EmotionReader,
    at_agent,
    default_reader,
    denied,
    features_digest,
)
from cues.engine import CueEngine
from cues.types import CueRaised
from transcription.types import Utterance


def tiny_reader(word_sum: dict[str, tuple[float, float]] | None = None) -> EmotionReader:
    """'seething' is anger, 'skittish' is fear; nothing else scores."""
    table = word_sum or {}
    return EmotionReader(
        emotions=("anger", "fear"),
        vocab={"w:seething": 0, "w:skittish": 1},
        weights=np.array([[6.0, 0.0], [0.0, 6.0]], np.float32),
        words={w: i for i, w in enumerate(table)},
        word_sum=np.array(list(table.values()), np.float32).reshape(len(table), 2),
        word_pieces=np.ones(len(table), np.float32),
        bias=np.array([-3.0, -3.0], np.float32),
        thresholds=np.array([0.0, 0.0], np.float32),
        features_digest=features_digest(),
    )


def kinds(*turns: tuple[str, str], reader: EmotionReader | bool | None = None) -> dict[str, int]:
    """Kinds raised (first turn) over the turns, patterns + the given reader only."""
    engine = CueEngine("c", learned=False, emotion=reader if reader is not None else tiny_reader())
    seq = {"caller": 0, "agent": 0}
    for i, (speaker, text) in enumerate(turns):
        engine.feed(Utterance("c", speaker, seq[speaker], text, float(i), i + 0.9, True))  # type: ignore[arg-type]
        seq[speaker] += 1
    return engine.raised_kinds()


def caller(text: str) -> tuple[str, str]:
    return ("caller", text)


# --- gates, with the hand-made reader --------------------------------------------------


def test_words_unknown_to_the_patterns_are_what_the_tiny_reader_reads() -> None:
    assert kinds(caller("I am seething about this billing mess"), reader=False) == {}
    assert kinds(caller("The whole family is skittish about Thursday"), reader=False) == {}


def test_anger_at_the_situation_raises_validate_first() -> None:
    engine = CueEngine("c", learned=False, emotion=tiny_reader())
    utt = Utterance(
        "c", "caller", 0, "Okay. I am seething about this billing mess.", 0.0, 2.0, True
    )
    events = engine.feed(utt)
    cue = next(c for c in engine.cues if c.kind == "validate_first")
    assert any(getattr(e, "cue", None) == cue for e in events)
    assert cue.evidence.quote == "I am seething about this billing mess"  # the best sentence


def test_fear_raises_orient() -> None:
    assert kinds(caller("The whole family is skittish about Thursday")) == {"orient": 0}


@pytest.mark.parametrize(
    "text",
    [
        "You are the reason I am seething",  # at the agent
        "I am seething at you right now",
        "Honestly I am seething, you don't listen",
        "I'm not angry or seething, I just want the date",  # denied
        "Seething, honestly.",  # too few words to read
        "I would like to move my appointment to Tuesday",  # neutral
        "I hate to bother you, I am seething but is parking validated",  # polite formula
        "This cough has me seething, it keeps me up at night",  # a nagging symptom
    ],
)
def test_gates_keep_the_reader_quiet(text: str) -> None:
    assert "validate_first" not in kinds(caller(text))


def test_the_kinds_own_vetoes_hold_relief_is_not_fear() -> None:
    assert kinds(caller("We were skittish all week but it came back benign")) == {}


def test_only_the_callers_words() -> None:
    assert kinds(("agent", "I am seething about this billing mess too")) == {}


def test_not_beside_a_kind_that_says_what_to_do() -> None:
    got = kinds(caller("This is my third call about it and I am seething"))
    assert "own_it" in got
    assert "validate_first" not in got


def test_not_after_abuse_in_the_call() -> None:
    got = kinds(caller("You're an idiot."), caller("I am seething about this billing mess"))
    assert "abuse" in got
    assert "validate_first" not in got


def test_a_kind_the_patterns_found_is_not_raised_twice() -> None:
    engine = CueEngine("c", learned=False, emotion=tiny_reader())
    engine.feed(Utterance("c", "caller", 0, "This is ridiculous, I'm furious.", 0.0, 1.0, True))
    events = engine.feed(
        Utterance("c", "caller", 1, "I am seething about this billing mess", 1.0, 2.0, True)
    )
    assert engine.raised_kinds()["validate_first"] == 0
    assert not any(isinstance(e, CueRaised) for e in events)


def test_off_means_off() -> None:
    assert kinds(caller("I am seething about this billing mess"), reader=False) == {}


def test_word_table_is_a_mean_over_word_pieces() -> None:
    r = tiny_reader({"grr": (2.0, 0.0), "meh": (0.0, 1.0)})
    s = r.scores("grr meh unknownword")
    # two known words, one piece each: (2 + 0) / 2 and (0 + 1) / 2 on top of the bias
    assert s == pytest.approx([-3.0 + 1.0, -3.0 + 0.5])
    assert r.scores("") == pytest.approx([-3.0, -3.0])


def test_small_pure_helpers() -> None:
    assert at_agent("i'm angry with you")
    assert at_agent("it's your fault")
    assert not at_agent("you guys keep losing my paperwork and it's infuriating")
    assert not at_agent("they lost my referral again")
    assert denied("i'm not angry at all")
    assert not denied("i'm angry")


def test_save_load_round_trip(tmp_path: Path) -> None:
    r = tiny_reader({"grr": (2.0, 0.0)})
    path = tmp_path / "e.npz"
    r.save(path)
    back = EmotionReader.load(path)
    assert back.emotions == r.emotions
    assert back.features_digest == r.features_digest
    text = "grr i am seething and skittish"
    assert back.scores(text) == pytest.approx(r.scores(text), abs=1e-2)


def test_bad_artifacts_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EmotionError, match=r"nope\.npz"):
        EmotionReader.load(tmp_path / "nope.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(EmotionError, match=r"junk\.npz"):
        EmotionReader.load(junk)
    with pytest.raises(EmotionError, match="vocab x emotions"):
        EmotionReader(
            emotions=("anger",), vocab={"w:a": 0}, weights=np.zeros((2, 1), np.float32),
            words={}, word_sum=np.zeros((0, 1), np.float32),
            word_pieces=np.zeros(0, np.float32), bias=np.zeros(1, np.float32),
            thresholds=np.zeros(1, np.float32),
        )  # fmt: skip


# --- the committed artifact on sentences of our own ----------------------------------


def committed() -> EmotionReader:
    reader = default_reader()
    assert reader is not None, f"{ARTIFACT} missing: run heard train emotion"
    return reader


def test_artifact_matches_the_features_it_was_trained_on() -> None:
    # cues.learned.features changed since training: retrain with `heard train emotion`
    assert committed().features_digest == features_digest()
    # fear is off: out of fold it added no orient recall once clinical talk was a
    # negative (cues/train_emotion.py); anger is what the reader is for
    assert "anger" in committed().enabled


ANGRY = (  # at the situation, in our own words
    "The pharmacy lost my prescription again, this is such a mess and I am sick of it.",
    "They charged me twice for the same visit and nobody will fix it, I am so over this.",
    "What a joke of a system, nobody knows anything over there.",
)
NEUTRAL = (
    "Hi, I'm calling to confirm my appointment on Thursday at ten.",
    "Can you tell me which pharmacy the prescription was sent to?",
    "My date of birth is March fourth, nineteen sixty two.",
    "Thanks so much, that's really helpful, have a good day.",
)


def test_artifact_ranks_anger_above_neutral_requests() -> None:
    r = committed()
    angry = [r.score(t.lower(), "anger") for t in ANGRY]
    calm = [r.score(t.lower(), "anger") for t in NEUTRAL]
    assert min(angry) > max(calm)


@pytest.mark.parametrize(
    "text", ("You are the most useless person I've ever talked to on this phone.", *NEUTRAL)
)
def test_artifact_quiet_on_neutral_and_at_the_agent(text: str) -> None:
    got = kinds(caller(text), reader=committed())
    assert "validate_first" not in got
    assert "orient" not in got


def test_a_member_id_is_not_three_words() -> None:
    """The reader stays quiet under MIN_WORDS words; digits in an ID are not words."""
    from tests.cue_support import kinds

    assert "validate_first" not in kinds("CHP-2250-7716.", "caller", learned=False)


@pytest.mark.parametrize(
    "text",
    ["Grazie, ciao ciao.", "Adaeze. Adaeze Nkemelu."],  # words the reader does not know
)
def test_the_packaged_reader_is_quiet_on_words_it_does_not_know(text: str) -> None:
    """With no known word only the intercept would speak, and it reads as anger."""
    reader = default_reader()
    assert reader is not None and reader.known_words(text.lower()) == 0
    assert kinds(caller(text), reader=reader) == {}


def test_the_reader_reads_no_anger_into_a_loss_told() -> None:
    """'he passed in June, and now I get this letter': grief, not anger to validate."""
    text = (
        "My husband always handled the insurance, and he passed in June, and now I get "
        "this letter from the drug plan and I just don't understand any of it"
    )
    angry = tiny_reader({"letter": (9.0, 0.0)})
    assert "validate_first" not in kinds(caller(text), reader=angry)
    assert "validate_first" in kinds(
        caller(text.replace("he passed in June", "in June")), reader=angry
    )
