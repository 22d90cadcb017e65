"""One utterance through a fresh cue engine: the kinds it raises (cue unit tests)."""

from __future__ import annotations

from cues.emotion import EmotionReader
from cues.engine import CueEngine
from cues.learned import LearnedModel
from transcription.types import Utterance


def kinds(
    text: str,
    speaker: str = "caller",
    *,
    learned: LearnedModel | bool | None = True,
    emotion: EmotionReader | bool | None = True,
) -> set[str]:
    """The kinds ``text``, said by ``speaker`` as a call's first final, raises.

    ``learned=False, emotion=False`` tests the playbook alone."""
    engine = CueEngine("unit", learned=learned, emotion=emotion)
    engine.feed(Utterance("unit", speaker, 0, text, 0.0, 2.0, True))  # type: ignore[arg-type]
    return {c.kind for c in engine.cues}
