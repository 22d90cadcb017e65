"""Security settings (``Settings.security``; env ``HEARD_SECURITY__<NAME>``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SecuritySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Origins allowed to frame Heard (the sidebar inside a phone system's agent
    #: desktop), e.g. ``["https://apps.mypurecloud.com"]``. Empty: framing refused.
    frame_ancestors: list[str] = Field(default_factory=list)
    #: A session ends after this long without a request, and in any case after
    #: ``session_absolute_hours`` from sign-in.
    session_idle_minutes: float = Field(default=30.0, gt=0)
    session_absolute_hours: float = Field(default=12.0, gt=0)
    #: Failed sign-ins allowed per username / per address within the window.
    login_max_per_user: int = Field(default=5, ge=1)
    login_max_per_ip: int = Field(default=30, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    #: Retention: recordings (audio files) and whole calls (transcript, cues, notes).
    #: ``retention_transcript_days = 0`` keeps transcripts until deleted by hand.
    retention_audio_days: int = Field(default=30, ge=1)
    retention_transcript_days: int = Field(default=365, ge=0)
    retention_interval_minutes: float = Field(default=60.0, gt=0)
    #: Redaction kinds masked per audience (agent, supervisor, trainer, admin, export);
    #: audiences not named keep the defaults of app.security.redaction.DEFAULT_POLICY.
    redaction: dict[str, list[str]] = Field(default_factory=dict)
    #: Request header limits (bytes): larger requests get 431.
    max_header_bytes: int = Field(default=16384, ge=1024)
    max_cookie_bytes: int = Field(default=4096, ge=256)
    #: Extra URLs Twilio may have signed (when a proxy rewrites host or scheme).
    twilio_urls: list[str] = Field(default_factory=list)
    #: Seconds a refused phone-system upgrade waits before the answer (blunts timing).
    ingest_failure_delay_s: float = Field(default=0.25, ge=0, le=5)

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        for o in v:
            if not (o.startswith("https://") or o.startswith("http://localhost")) or any(
                c in o for c in " ;,'\""
            ):
                raise ValueError(f"frame_ancestors: {o!r} is not an https origin")
        return v

    @field_validator("redaction")
    @classmethod
    def _kinds(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        from app.security.redaction import KINDS

        for audience, kinds in v.items():
            bad = set(kinds) - set(KINDS)
            if bad:
                raise ValueError(f"redaction.{audience}: unknown kinds {sorted(bad)}")
        return v
