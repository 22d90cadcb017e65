"""The per-call engine: raise once then refresh, speakers, alerts, reset, bad input."""

from __future__ import annotations

import math

import pytest

from cues.engine import MAX_CHARS, CueEngine, CueEngineError
from cues.types import ContextChanged, CueRaised, CueRefreshed
from transcription.types import Utterance


def utt(
    text: str,
    speaker: str = "caller",
    seq: int = 0,
    t: float = 0.0,
    call: str = "c1",
    final: bool = True,
) -> Utterance:
    return Utterance(call, speaker, seq, text, t, t + 2.0, final)  # type: ignore[arg-type]


def raised(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.cue.kind for e in events if isinstance(e, CueRaised)]


def test_a_kind_is_raised_once_then_refreshed_with_the_same_id() -> None:
    e = CueEngine("c1")
    first = e.feed(utt("I'm so scared about the results.", seq=0))
    assert raised(first) == ["orient"]
    cue_id = next(ev.cue.id for ev in first if isinstance(ev, CueRaised))
    e.feed(utt("Okay.", "agent", 0, 3.0))
    again = e.feed(utt("Sorry, I'm just really frightened.", seq=1, t=6.0))
    refreshed = [ev for ev in again if isinstance(ev, CueRefreshed)]
    assert [r.cue.kind for r in refreshed] == ["orient"]
    assert refreshed[0].cue.id == cue_id
    assert refreshed[0].cue.refreshed == 1
    assert refreshed[0].cue.turn == 0  # the turn of the first raising stays
    assert "frightened" in refreshed[0].cue.evidence.quote
    assert len(e.cues) == 1


def test_turns_count_final_utterances_of_both_speakers() -> None:
    e = CueEngine("c1")
    e.feed(utt("Clinic, this is Ana.", "agent", 0))
    e.feed(utt("Hi.", "caller", 0, 2.0))
    e.feed(utt("How can I help?", "agent", 1, 4.0))
    e.feed(utt("I'm terrified about my biopsy.", "caller", 1, 6.0))
    assert e.raised_kinds() == {"orient": 3}


def test_caller_kinds_come_only_from_the_caller_and_agent_kinds_from_the_agent() -> None:
    e = CueEngine("c1")
    e.feed(utt("Are you having chest pain or trouble breathing right now?", "agent"))
    e.feed(utt("They'll call you soon, someone will reach out.", "caller", t=3.0))
    assert e.cues == ()


def test_urgent_risk_and_abuse_alert_the_supervisor() -> None:
    e = CueEngine("c1")
    e.feed(utt("My husband's face is drooping and his speech is slurred."))
    e.feed(utt("This is ridiculous.", seq=1, t=3.0))
    e.feed(utt("You're useless, you idiot.", seq=2, t=6.0))
    by_kind = {c.kind: c for c in e.cues}
    assert by_kind["urgent_risk"].alert and by_kind["urgent_risk"].severity == "urgent"
    assert by_kind["abuse"].alert
    assert not by_kind["validate_first"].alert


def test_anger_after_abuse_is_not_validated_but_anger_before_it_was() -> None:
    """validate_first and reflect_back are ``quiet_after: [abuse]`` in the playbook."""
    e = CueEngine("c1")
    e.feed(utt("You're a useless idiot.", seq=0))
    e.feed(utt("I can't refill that early.", "agent", 0, 3.0))
    later = e.feed(utt("Whatever. This is ridiculous. Are you even listening to me?", seq=1, t=6.0))
    assert raised(later) == []
    assert set(e.raised_kinds()) == {"abuse", "explain_the_no"}

    e = CueEngine("c2")
    first = e.feed(utt("This is ridiculous, the third time they lost it.", call="c2"))
    assert "validate_first" in raised(first)


def test_a_handoff_after_an_emergency_is_a_courtesy_not_a_loop_left_open() -> None:
    """close_the_loop is ``quiet_after: [urgent_risk]``; before one it is raised."""
    e = CueEngine("c1")
    e.feed(utt("My husband's face is drooping and his speech is slurred."))
    e.feed(utt("Hang up and call 911 now. I'll let Dr. Amari's office know.", "agent", 0, 3.0))
    assert "close_the_loop" not in e.raised_kinds()

    e = CueEngine("c2")
    e.feed(
        utt(
            "I'll let Dr. Amari's office know, and someone will get back to you.",
            "agent",
            call="c2",
        )
    )
    assert "close_the_loop" in e.raised_kinds()


def test_urgent_risk_may_find_its_context_in_the_callers_earlier_turn() -> None:
    """Chemo said in one turn, the fever in the next: a nurse puts the two together."""
    fever = "She's got a fever of 101 and she's shivering."

    def kinds_after(*turns: tuple[str, str]) -> set[str]:
        engine = CueEngine("c1", learned=False, emotion=False)
        seqs = {"caller": 0, "agent": 0}
        for i, (speaker, text) in enumerate(turns):
            engine.feed(utt(text, speaker, seqs[speaker], t=i * 3.0))
            seqs[speaker] += 1
        return {c.kind for c in engine.cues}

    chemo = ("caller", "My mom's on chemo for her breast cancer, second round was Monday.")
    assert "urgent_risk" in kinds_after(chemo, ("agent", "Okay, go on."), ("caller", fever))
    assert "urgent_risk" not in kinds_after(("caller", "Hi, it's about my mom."), ("caller", fever))
    # the context must be the caller's own words, not the agent's
    agent_says = ("agent", "I see she's on chemo with Dr. Ruiz.")
    assert "urgent_risk" not in kinds_after(agent_says, ("caller", fever))


def test_take_a_reset_when_a_heavy_call_ends_on_the_last_turn() -> None:
    e = CueEngine("c1")
    e.feed(utt("Please hold.", "agent", 0))
    e.feed(utt("You're a moron and I'll get you fired.", "caller", 0, 2.0))
    e.feed(utt("I'm going to end the call if that continues.", "agent", 1, 4.0))
    assert e.context.heavy
    events = e.end_call()
    assert raised(events) == ["take_a_reset"]
    reset = {c.kind: c for c in e.cues}["take_a_reset"]
    assert reset.turn == 2
    assert e.end_call() == []  # idempotent
    with pytest.raises(CueEngineError, match="ended"):
        e.feed(utt("Hello?", seq=1, t=9.0))


def test_bereavement_makes_a_call_heavy() -> None:
    e = CueEngine("c1")
    e.feed(utt("My wife passed away on Sunday and I need to cancel her visits."))
    assert raised(e.end_call()) == ["take_a_reset"]


def test_a_grieving_arrival_ends_with_a_reset_card_and_its_words() -> None:
    """The context reads the call as heavy (grief in the first turns): the card comes too."""
    engine = CueEngine("c1", learned=False, emotion=False)
    engine.feed(utt("I need to cancel my son's appointments."))
    engine.feed(utt("Of course. Is everything okay?", "agent", 0, t=3.0))
    engine.feed(utt("No. He passed away. On Saturday. I can't see the texts.", seq=1, t=6.0))
    events = engine.end_call()
    assert engine.context.heavy
    assert raised(events) == ["take_a_reset"]
    assert engine.cues[-1].evidence.quote


def _engine_heavy(text: str) -> bool:
    """The engine's own heavy signal (the playbook's take_a_reset ``heavy``) on one utterance."""
    from cues.detectors import detect_heavy
    from cues.playbook import default_playbook
    from cues.text import analyse

    pb = default_playbook()
    spec = pb.kinds["take_a_reset"]
    return detect_heavy(spec, analyse(text, pb.pleasantries, pb.doses, pb), pb) is not None


def test_the_engines_own_heavy_words_skip_a_long_ago_death() -> None:
    # (the call context may still judge the call heavy; this is the engine's own signal)
    assert _engine_heavy("He passed away on Sunday.")
    assert _engine_heavy("Sorry, I'm crying, I just can't do this anymore.")
    assert not _engine_heavy("My father died years ago, that's why I watch my heart.")
    assert not _engine_heavy("I passed the test on Sunday.")


def test_bad_news_is_news_told_not_cancer_asked_about_or_denied() -> None:
    assert _engine_heavy("The biopsy. It's cancer, he wants to talk treatment.")
    assert _engine_heavy("I thought it was nothing, but the biopsy showed cancer.")
    assert not _engine_heavy("So nobody's saying it's cancer.")
    assert not _engine_heavy("I looked on the internet. It is cancer? Nobody called us.")
    assert not _engine_heavy("Why extra testing, does that happen when it's cancer?")
    assert not _engine_heavy("Is that because she thinks it's cancer?")


def test_bad_news_read_in_a_report_and_a_death_dated_by_its_day() -> None:
    assert _engine_heavy("There's a note in my portal that says 'malignant' and nobody called.")
    assert not _engine_heavy("The pathology letter says cancer free, I just need a copy.")
    assert not _engine_heavy("The letter says cancer screening is due in May.")
    assert _engine_heavy("My dad passed last night, I need to cancel his visits.")
    assert not _engine_heavy("She passed her road test yesterday, so she can drive me.")
    assert _engine_heavy("It's my wife. I think she's gone. She's not breathing.")
    assert not _engine_heavy("She's gone to the store, she's not breathing hard now.")
    assert not _engine_heavy("I keep reading online about stillbirth and I'm so scared.")


def test_routine_call_raises_nothing_and_no_reset() -> None:
    e = CueEngine("c1")
    for i, (who, text) in enumerate(
        [
            ("agent", "Lakeside Clinic, how can I help?"),
            ("caller", "Hi, I'd like to book a physical for next month."),
            ("agent", "Sure, I have the 14th at 9 or the 16th at 2."),
            ("caller", "The 14th at 9 is great, thanks. See you then."),
            ("agent", "You're all set. Have a good day!"),
        ]
    ):
        e.feed(utt(text, who, i, i * 3.0))
    assert e.end_call() == []
    assert e.cues == ()


def test_context_changes_are_events() -> None:
    e = CueEngine("c1")
    events = e.feed(utt("I'm furious, billing sent me back to you again.", seq=0))
    assert any(isinstance(ev, ContextChanged) for ev in events)
    assert e.context.arrival is not None


def test_partials_and_empty_utterances_are_ignored() -> None:
    e = CueEngine("c1")
    assert e.feed(utt("I'm so scared", final=False)) == []
    assert e.feed(utt("   ")) == []
    assert e.feed(utt("")) == []
    assert e.turns == 0 and e.cues == ()


def test_bad_input_is_a_clear_error() -> None:
    e = CueEngine("c1")
    with pytest.raises(CueEngineError, match="another call"):
        e.feed(utt("I'm scared", call="other"))
    with pytest.raises(CueEngineError, match="unknown speaker"):
        e.feed(Utterance("c1", "nurse", 0, "I'm scared", 0.0, 1.0, True))  # type: ignore[arg-type]
    with pytest.raises(CueEngineError, match="expected an Utterance"):
        e.feed("I'm scared")  # type: ignore[arg-type]
    with pytest.raises(CueEngineError):
        CueEngine("")
    assert e.cues == () and e.turns == 0  # nothing half-applied


def test_enormous_non_english_and_odd_times_do_not_crash() -> None:
    e = CueEngine("c1")
    big = "blah " * 200_000 + "I'm terrified"
    assert len(big) > MAX_CHARS
    e.feed(utt(big))
    assert e.turns == 1  # taken, cut to MAX_CHARS before matching
    e.feed(utt("Tengo mucho miedo, no puedo respirar, me duele el pecho.", seq=1, t=3.0))
    e.feed(utt("我很害怕，胸口很痛", seq=2, t=4.0))
    # timestamps going backwards, NaN and infinity
    e.feed(Utterance("c1", "caller", 3, "I'm so scared.", 100.0, 90.0, True))
    e.feed(Utterance("c1", "caller", 4, "I'm so scared.", math.nan, math.inf, True))
    e.feed(Utterance("c1", "caller", 5, "I'm so scared.", 1.0, 2.0, True))
    cue = {c.kind: c for c in e.cues}["orient"]
    assert cue.turn == 3
    assert math.isfinite(cue.raised_at) and math.isfinite(cue.evidence.start)


def test_no_state_is_shared_between_calls() -> None:
    a, b = CueEngine("a"), CueEngine("b")
    a.feed(utt("You're an idiot.", call="a"))
    assert b.cues == () and not b.context.heavy
    b.feed(utt("Hello, I need a refill.", call="b"))
    assert {c.kind for c in a.cues} == {"abuse"}
    assert b.cues == ()


def test_rubric_is_scored_from_the_call() -> None:
    e = CueEngine("c1")
    e.feed(utt("I'm scared about the biopsy.", "caller", 0))
    e.feed(
        utt(
            "That sounds frightening. Here's exactly what happens next: it takes 20 minutes, "
            "and Dr. Lee's nurse will call you with results by Friday at 3.",
            "agent",
            0,
            3.0,
        )
    )
    rubric = e.rubric()
    assert {s.criterion for s in rubric.scores} == {
        "acknowledgement",
        "calibration",
        "re_entry",
        "ownership",
    }
    assert all(0.0 <= s.score <= 1.0 for s in rubric.scores)


@pytest.mark.parametrize("order", ["words_first", "kind_first"])
def test_sustained_distress_needs_two_turns_in_either_order(order: str) -> None:
    # distress words of the playbook's sustained_distress (not crying: the call
    # context takes crying as heavy at once, and take_a_reset follows the context)
    crying = "Honestly I'm just worn down, I'm at breaking point with all of this."
    exhausted = "How many more of these am I going to need before I'm done?"
    turns = [crying, exhausted] if order == "words_first" else [exhausted, crying]
    e = CueEngine("c1")
    for i, text in enumerate(turns):
        e.feed(utt(text, seq=i, t=i * 3.0))
    assert raised(e.end_call()) == ["take_a_reset"]
    once = CueEngine("c2")
    once.feed(utt(crying, call="c2"))
    assert once.end_call() == []  # one worn-down moment is not "sustained"


@pytest.mark.parametrize(
    "agent_line",
    [
        "Are you having thoughts of hurting yourself or ending your life?",
        "I'm going to ask you to keep the insults out of it.",
        "That's a threat, and I'm ending this call now.",
        "I'm so sorry you found out this way.",
        "Stay on the line with me, I'm connecting the nurse.",
    ],
)
def test_what_the_agent_does_about_it_makes_the_call_heavy(agent_line: str) -> None:
    """A safety question, a boundary, a condolence: the agent's answer to a heavy moment
    the caller's words may not name (hinted self-harm, a put-down, bad news)."""
    e = CueEngine("c1")
    e.feed(utt("So, yeah, I was calling about the appointment.", seq=0))
    e.feed(utt(agent_line, "agent", 0, 3.0))
    events = e.end_call()
    assert raised(events) == ["take_a_reset"]
    assert e.context.heavy


@pytest.mark.parametrize(
    "agent_line",
    [
        "And if she ever talks about hurting herself, call or text 988.",
        "If it's an emergency you can always go to the ER or call 988.",
        "I'm so sorry about the wait today.",
        "Please stay on the line while I transfer you to billing.",
    ],
)
def test_advice_for_a_case_is_not_a_heavy_call(agent_line: str) -> None:
    e = CueEngine("c1")
    e.feed(utt("So, yeah, I was calling about the appointment.", seq=0))
    e.feed(utt(agent_line, "agent", 0, 3.0))
    assert e.end_call() == []
