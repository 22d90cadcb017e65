"""Typed errors of the transcription stage: each names what was wrong and where."""

from __future__ import annotations


class RecognizerError(Exception):
    """Base of the typed errors a recognizer raises (bad model, bad audio, closed stream)."""


class ModelLoadError(RecognizerError):
    """The configured model path or name does not exist or cannot be loaded."""


class AudioFormatError(RecognizerError):
    """Audio that does not match its declared format (odd byte count, wrong rate...)."""
