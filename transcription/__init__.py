"""Live call audio to timed, speaker-labelled text, on a CPU.

Stages: ``audio`` (one edge for every wire format) -> ``vad`` (endpointing per
speaker) -> a recognizer behind the :class:`~transcription.recognizer.Recognizer`
interface -> :class:`~transcription.types.Utterance` events.
"""
