"""Server settings: defaults < config file < environment (``HEARD_*``) < command line.

Everything is validated when the server starts (:func:`load_settings`); a bad
value stops start-up with a message naming the setting, never a traceback deep
in a request. Booleans accept ``true/false/1/0/yes/no/on/off`` (``"false"`` is
false: no ``bool(os.environ[...])`` here).

Config file: TOML (``.toml``) or YAML (``.yaml``/``.yml``), flat keys named
like the fields below; nested tables for ``transcription`` and
``integration_token_hashes``. Example::

    host = "0.0.0.0"
    port = 8080
    data_dir = "/var/lib/heard"
    record_audio = false
    [transcription]
    engine = "whisper"
    partials = true

Environment: ``HEARD_PORT=8080``, ``HEARD_RECORD_AUDIO=false``,
``HEARD_DATABASE_URL=postgresql+psycopg://...``, nested with ``__``
(``HEARD_TRANSCRIPTION__THREADS=2``), mappings as JSON
(``HEARD_INTEGRATION_TOKEN_HASHES='{"pbx-1": "<sha256 hex>"}'``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from app.security.config import SecuritySettings
from cues.playbook import DEFAULT_PATH as PLAYBOOK_PATH
from transcription.config import TranscriptionConfig, VadConfig


class SettingsError(Exception):
    """Settings that cannot start a server; the message names each bad setting."""


# Defaults come from the stage's own dataclasses, so the server runs what the
# benchmark measured (a copy of the numbers here once drifted: 0.4 s vs 0.5 s).
_VAD = VadConfig()
_STT = TranscriptionConfig()


class VadSettings(BaseModel):
    """Mirrors :class:`transcription.config.VadConfig` (validated by it too)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = _VAD.threshold
    neg_threshold: float = _VAD.neg_threshold
    end_silence_s: float = _VAD.end_silence_s
    min_speech_s: float = _VAD.min_speech_s
    long_utterance_s: float = _VAD.long_utterance_s
    long_end_silence_s: float = _VAD.long_end_silence_s
    max_utterance_s: float = _VAD.max_utterance_s
    pad_s: float = _VAD.pad_s
    energy_gate_dbfs: float = _VAD.energy_gate_dbfs
    energy_assist_db: float = _VAD.energy_assist_db


class TranscriptionSettings(BaseModel):
    """Mirrors :class:`transcription.config.TranscriptionConfig` (validated by it too)."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["whisper", "vosk", "fake"] = _STT.engine
    model: str | None = _STT.model
    threads: int = _STT.threads
    lanes: int = _STT.lanes
    compute_type: str = _STT.compute_type
    language: str | None = _STT.language
    beam_size: int = _STT.beam_size
    strategy: Literal["guarded", "padded", "trimmed", "packed"] = _STT.strategy
    min_window_s: float = _STT.min_window_s
    condition_on_previous: bool = _STT.condition_on_previous
    speculate_after_s: float | None = _STT.speculate_after_s
    revise: bool = _STT.revise
    shed_busy: float | None = _STT.shed_busy
    partials: bool = _STT.partials
    partial_interval_s: float = _STT.partial_interval_s
    partial_budget: float = _STT.partial_budget
    max_pending_partials: int = _STT.max_pending_partials
    vad: VadSettings = Field(default_factory=VadSettings)

    def to_config(self) -> TranscriptionConfig:
        """The stage's own config (``engine="fake"`` is for tests and has none)."""
        data = self.model_dump(exclude={"vad"})
        return TranscriptionConfig(**data, vad=VadConfig(**self.vad.model_dump()))


class Settings(BaseSettings):
    """All server settings (see the module docstring for sources and precedence)."""

    model_config = SettingsConfigDict(
        env_prefix="HEARD_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Path("heard-data")
    #: SQLAlchemy URL; default ``sqlite:///<data_dir>/heard.db`` (WAL, foreign keys).
    database_url: str | None = None
    #: Write each speaker's audio as 16 kHz WAV under data_dir/recordings/.
    record_audio: bool = True
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    #: The cue playbook (YAML) new calls use; re-read when it changes, and an edit that
    #: does not validate leaves the last good one in use (app.playbooks).
    playbook_path: Path = PLAYBOOK_PATH

    # -- integrations (checked by app.security; secrets never logged) ---------------------
    #: Twilio account auth token, for X-Twilio-Signature on the websocket upgrade.
    twilio_auth_token: SecretStr | None = None
    #: Public base URL Twilio dials (signatures are over the exact URL), e.g. wss://heard.example.
    public_url: str | None = None
    #: AudioHook API key and client secret (base64), per the Genesys integration.
    audiohook_api_key: SecretStr | None = None
    audiohook_client_secret: SecretStr | None = None
    #: Per-integration bearer tokens for the plain PCM socket: name -> SHA-256 hex of
    #: the token (``app.security.signatures.new_token`` makes a pair; the token itself
    #: is never stored).
    integration_token_hashes: dict[str, str] = Field(default_factory=dict)
    #: Accept ingest connections without integration credentials from this machine only
    #: (development). Off by default: phone systems must present their credentials.
    allow_unauthenticated_ingest: bool = False

    # -- call life -----------------------------------------------------------------------
    #: A connection that drops without a stop/close keeps its call open this long
    #: for a reconnect with the same call id; then the call ends (reason disconnected).
    reconnect_grace_s: float = Field(default=120.0, ge=0)
    #: No sound (only silent frames, or none) for this long: the call shows on hold.
    hold_after_silence_s: float = Field(default=60.0, gt=0)
    #: Calls this server carries at once; a new call beyond it is refused (close 1013).
    max_live_calls: int = Field(default=200, ge=1)
    #: Ingest limits per connection (bad or hostile senders).
    max_message_bytes: int = Field(default=1 << 20, ge=1024)
    max_audio_seconds_per_second: float = Field(default=8.0, gt=0)

    # -- serving -------------------------------------------------------------------------
    subscriber_queue_size: int = Field(default=256, ge=8)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    #: Session cookies marked Secure (turn off only for plain-http local demos).
    secure_cookies: bool = False
    #: Sign-in, sessions, framing, retention, redaction (app.security.config).
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("playbook_path")
    @classmethod
    def _playbook(cls, v: Path) -> Path:
        if not v.is_file():
            raise ValueError(f"no playbook file at {v}")
        return v

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not (v.startswith("sqlite") or v.startswith("postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        return v

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'heard.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init (command line) > environment > config file (passed as init defaults below)
        return (init_settings, env_settings)


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML or YAML file, as a dict; SettingsError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SettingsError(f"config file {path}: {e.strerror or e}") from e
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise SettingsError(f"config file {path}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
        raise SettingsError(f"config file {path}: not valid {path.suffix[1:]}: {e}") from e
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path}: expected a table of settings at top level")
    return data


def _format(e: ValidationError, origin: str) -> str:
    lines = [f"invalid settings ({origin}):"]
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(settings)"
        env = "HEARD_" + "__".join(str(p) for p in err["loc"]).upper()
        lines.append(f"  {loc} (env {env}): {err['msg']}")
    return "\n".join(lines)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build and validate settings: file < env < ``overrides`` (None values ignored).

    Also checks what pydantic cannot: the transcription config and that
    ``data_dir`` can be created. Raises :class:`SettingsError` with every problem.
    """
    file_values: dict[str, Any] = read_config_file(config_file) if config_file else {}
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = _build(file_values, given)
    except ValidationError as e:
        origin = f"config file {config_file}, environment" if config_file else "environment"
        raise SettingsError(_format(e, origin + ", command line")) from e
    if settings.transcription.engine != "fake":
        try:
            settings.transcription.to_config()
        except ValueError as e:
            raise SettingsError(f"invalid settings: transcription: {e}") from e
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SettingsError(f"invalid settings: data_dir {settings.data_dir}: {e}") from e
    return settings


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _build(file_values: dict[str, Any], cli: dict[str, Any]) -> Settings:
    """File values must lose to the environment, but init kwargs beat env in pydantic.

    So: validate the environment alone, keep only what it explicitly set, and lay
    that over the file values; command-line values go on top of both.
    """
    if not file_values:
        return Settings(**cli)
    env_set = Settings().model_dump(exclude_unset=True)
    return Settings(**_deep_merge(_deep_merge(file_values, env_set), cli))
