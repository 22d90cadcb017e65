"""Rubric and inherited difficulty on scripted calls whose context is known.

The scripts' turns go through the same evaluation as ``heard import`` (the real cue
engine, context tracker and rubric); the stored call is then opened in the replay
view and the report, which must show the difficulty *as its factors* and each
rubric criterion with the words behind it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.importer import evaluate, store_evaluated_call
from app.security.roles import Principal
from cues.difficulty import inherited_difficulty
from cues.scripts import Script, parse_script
from cues.types import CallContext
from tests.serverkit import make_app
from tests.trainer_seed import utterance

BOUNCED = """
id: scripted-bounced-denial
title: Third call about a denied claim, bounced between billing and insurance
turns:
  - caller: "This is my third call. Billing sent me to insurance and insurance sent me back to you."
    cues: [own_it]
  - agent: "I'm sorry you've been passed around. I've got this from here."
  - caller: "I'm so angry. My chemo treatment got denied and now I have a surprise bill for $4,000."
    cues: [validate_first]
  - agent: "That is a lot to carry while you're in treatment. Let me look at the denial."
  - agent: "It was denied, and we can't pay it. Only your insurance can reverse that."
    cues: [explain_the_no]
  - agent: "You can appeal. I'll file the appeal with insurance today
      and call you by Thursday with the answer."
call:
  arrival: angry
  departments: [billing, insurance]
  repeat_contact: true
  stakes: [money, care_access]
  resolvable: false
  heavy: false
"""

ROUTINE = """
id: scripted-routine-address
title: Address change
turns:
  - agent: "Good morning, Lakeside Family Medicine, this is Dana. How can I help?"
  - caller: "Hi Dana, I moved last week and I'd like to update my mailing address."
  - agent: "Of course. What's the new street address?"
  - caller: "It's twelve Birch Lane, apartment four."
  - agent: "Got it, that's updated. Anything else I can do for you today?"
  - caller: "No, that's all. Thanks so much."
call:
  arrival: calm
  resolvable: true
  heavy: false
"""


def _stored(store, script: Script, call_id: str) -> list:
    seqs = {"caller": 0, "agent": 0}
    t, utts = 0.4, []
    for turn in script.turns:
        u = utterance(call_id, turn.speaker, seqs[turn.speaker], turn.text, t)
        seqs[turn.speaker] += 1
        utts.append(u)
        t = u.end + 0.6
    ev = evaluate(call_id, utts)
    store_evaluated_call(store, call_id, utts, ev, agent="ann", started_at=1.8e9, duration_s=t)
    return [ev]


@pytest.fixture
def http(tmp_path: Path):
    app = make_app(tmp_path, [])

    async def loader(conn):
        return Principal("tina", frozenset({"trainer"}))

    app.state.principal_loader = loader
    with TestClient(app) as client:
        yield app, client


def _expected(script: Script) -> CallContext:
    c = script.call
    return CallContext(
        arrival=c.arrival,  # type: ignore[arg-type]
        departments=c.departments or (),
        repeat_contact=bool(c.repeat_contact),
        stakes=c.stakes or (),
        resolvable=c.resolvable,
        heavy=bool(c.heavy),
    )


@pytest.mark.parametrize("text", [BOUNCED, ROUTINE])
def test_difficulty_and_rubric_on_a_scripted_call(http, text: str) -> None:
    app, client = http
    script = parse_script(text)
    (ev,) = _stored(app.state.store, script, script.id)
    expected = _expected(script)

    # The engine read the context the script says the call had.
    assert ev.context.arrival == expected.arrival
    assert ev.context.repeat_contact == expected.repeat_contact
    assert set(ev.context.departments) == set(expected.departments)
    assert ev.context.heavy == expected.heavy
    assert ev.context.resolvable == expected.resolvable
    assert set(expected.stakes) <= set(ev.context.stakes)
    raised = {c.kind for c in ev.cues}
    assert set(script.expected()) <= raised

    data = client.get(f"/trainer/calls/{script.id}/replay.json").json()["call"]
    # Shown: exactly the difficulty of the stored context, factor by factor ...
    shown = inherited_difficulty(ev.context)
    assert data["difficulty"]["score"] == pytest.approx(shown.score, abs=1e-3)
    assert [f["label"] for f in data["difficulty"]["factors"]] == [f.label for f in shown.factors]
    # ... which is what the script's known context gives.
    assert data["difficulty"]["score"] == pytest.approx(
        inherited_difficulty(expected).score, abs=0.05
    )
    page = client.get(f"/trainer/calls/{script.id}").text
    factor_labels = re.findall(r'<span class="factor-label">([^<]+)</span>', page)
    assert len(factor_labels) == 6  # every factor, not only the number
    rubric = {c["criterion"]: c for c in data["rubric"]}
    assert set(rubric) == {"acknowledgement", "calibration", "re_entry", "ownership"}
    assert all(c["auto"] is not None for c in rubric.values())
    if script.id == "scripted-bounced-denial":
        assert data["difficulty"]["band"] in ("hard", "very hard")
        for label in ("arrived angry", "repeat contact", "agent could not resolve"):
            assert label in factor_labels
        assert any("2 departments involved" in x for x in factor_labels)
        # Acknowledgement and ownership are justified by the agent's own words.
        assert rubric["acknowledgement"]["evidence"] and rubric["ownership"]["evidence"]
        spoken = " ".join(t.text for t in script.turns if t.speaker == "agent").lower()
        for quote in rubric["ownership"]["evidence"]:
            assert quote.lower().strip(" .") in spoken
        report = client.get(f"/trainer/calls/{script.id}/report.html").text
        assert "arrived angry" in report and "Ownership" in report
    else:
        assert data["difficulty"]["band"] == "routine"
        assert "arrived calm" in factor_labels
        assert not raised
