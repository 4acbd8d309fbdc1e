"""All settings in one pydantic-settings class, read from the environment and an optional `.env`.

The names DATABASE_URL, PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and LOG_LEVEL are fixed by
DESIGN.md because deployments and Twilio's docs use them; the others carry a HOTLINE_ prefix.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.core import crypto

DEFAULT_SQLITE_FILE = "hotline.db"
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development"}
_DIAL_TARGET = re.compile(r"^(?:\+[1-9]\d{6,14}|sip:\S+@\S+|client:[\w.@-]+)$")


def _env(name: str) -> AliasChoices:
    # Fixed names are read as-is; every other setting also answers to HOTLINE_<NAME>.
    return AliasChoices(name, f"HOTLINE_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=_env("ENVIRONMENT")
    )
    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}",
        validation_alias=AliasChoices("DATABASE_URL", "HOTLINE_DATABASE_URL"),
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000", validation_alias=AliasChoices("PUBLIC_BASE_URL", "HOTLINE_PUBLIC_BASE_URL")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "HOTLINE_LOG_LEVEL"))
    log_json: bool = Field(True, validation_alias=_env("LOG_JSON"))

    # Requests larger than this are refused with 413 before they are parsed.
    max_body_bytes: int = Field(256 * 1024, validation_alias=_env("MAX_BODY_BYTES"))

    # Requests one server process works on at once (0: two thirds of its database connection pool); the
    # others wait, and after `request_queue_seconds` get a 503 with Retry-After (ConcurrencyLimitMiddleware).
    max_concurrent_requests: int = Field(0, ge=0, le=10_000, validation_alias=_env("MAX_CONCURRENT_REQUESTS"))
    request_queue_seconds: float = Field(5.0, gt=0, le=300, validation_alias=_env("REQUEST_QUEUE_SECONDS"))

    twilio_account_sid: str = Field("", validation_alias=AliasChoices("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("TWILIO_AUTH_TOKEN"))
    # Who "speak with an advocate" rings: comma-separated E.164 numbers, sip: URIs or client: identities,
    # all rung at once (first to answer takes the call). Empty: the caller is offered voicemail instead.
    twilio_advocate_dial: str = Field("", validation_alias=_env("TWILIO_ADVOCATE_DIAL"))
    # Ringing longer than this falls back to voicemail.
    twilio_dial_timeout_seconds: int = Field(
        25, ge=5, le=600, validation_alias=_env("TWILIO_DIAL_TIMEOUT_SECONDS")
    )
    # Twilio transcribes recordings of 2 to 120 seconds only; longer voicemails are kept untranscribed.
    twilio_voicemail_max_seconds: int = Field(
        120, ge=10, le=3600, validation_alias=_env("TWILIO_VOICEMAIL_MAX_SECONDS")
    )
    # A voicemail waits this long for its transcript; then it is triaged from the recording alone.
    twilio_transcript_wait_seconds: int = Field(
        600, ge=30, le=86400, validation_alias=_env("TWILIO_TRANSCRIPT_WAIT_SECONDS")
    )
    # How many times a menu is offered (no or invalid key) before the caller is taken to voicemail.
    twilio_menu_attempts: int = Field(3, ge=1, le=10, validation_alias=_env("TWILIO_MENU_ATTEMPTS"))
    twilio_menu_timeout_seconds: int = Field(
        6, ge=2, le=30, validation_alias=_env("TWILIO_MENU_TIMEOUT_SECONDS")
    )
    # Texts from one sender with gaps shorter than this join one tip.
    twilio_sms_session_minutes: int = Field(
        30, ge=1, le=1440, validation_alias=_env("TWILIO_SMS_SESSION_MINUTES")
    )
    # Send replies through a Messaging Service (Advanced Opt-Out, sender pools) instead of from the number
    # that was texted.
    twilio_messaging_service_sid: str = Field("", validation_alias=_env("TWILIO_MESSAGING_SERVICE_SID"))
    # A reply that still fails after this many tries is given up (and logged, without its text).
    twilio_sms_max_attempts: int = Field(8, ge=1, le=50, validation_alias=_env("TWILIO_SMS_MAX_ATTEMPTS"))
    twilio_http_timeout_seconds: float = Field(
        10.0, gt=0, le=120, validation_alias=_env("TWILIO_HTTP_TIMEOUT_SECONDS")
    )
    # Where the Twilio REST API is reached; only tests and API proxies change it.
    twilio_api_base_url: str = Field("", validation_alias=_env("TWILIO_API_BASE_URL"))

    # The worker wakes at least this often to look for due jobs.
    worker_poll_seconds: float = Field(2.0, gt=0, le=300, validation_alias=_env("WORKER_POLL_SECONDS"))

    # A tip still 'received' this long after it was stored was interrupted before triage (the process died
    # between the commit and routing): the worker's recovery job triages and routes it.
    triage_recovery_after_seconds: float = Field(
        30, ge=0, le=3600, validation_alias=_env("TRIAGE_RECOVERY_AFTER_SECONDS")
    )

    # Partner webhooks (docs/partners/webhooks.md). Seconds to wait before each attempt: the first is the
    # delay after the referral is written, each later one after the previous failure (close to Svix's).
    webhook_retry_schedule: str = Field(
        "0,5,300,1800,7200,18000,36000,36000", validation_alias=_env("WEBHOOK_RETRY_SCHEDULE")
    )
    # Each retry delay is spread by up to this fraction either way, so failures do not all return in step.
    webhook_retry_jitter: float = Field(0.2, ge=0, le=1, validation_alias=_env("WEBHOOK_RETRY_JITTER"))
    # Attempts for a delivery the partner refuses with a 4xx (other than 408, 410 and 429): fewer than for
    # outages, since the same request will usually be refused again.
    webhook_client_error_attempts: int = Field(
        4, ge=1, le=30, validation_alias=_env("WEBHOOK_CLIENT_ERROR_ATTEMPTS")
    )
    # A Retry-After longer than this is capped.
    webhook_retry_after_max_seconds: int = Field(
        86400, ge=1, validation_alias=_env("WEBHOOK_RETRY_AFTER_MAX_SECONDS")
    )
    webhook_connect_timeout_seconds: float = Field(
        5.0, gt=0, le=30, validation_alias=_env("WEBHOOK_CONNECT_TIMEOUT_SECONDS")
    )
    webhook_read_timeout_seconds: float = Field(
        15.0, gt=0, le=15, validation_alias=_env("WEBHOOK_READ_TIMEOUT_SECONDS")
    )
    # An endpoint that has answered nothing but failures for this long is disabled (supervisors alerted).
    webhook_disable_after_hours: float = Field(
        120, gt=0, validation_alias=_env("WEBHOOK_DISABLE_AFTER_HOURS")
    )
    # Requests in flight per worker, and per endpoint within it (one slow partner cannot take every slot).
    webhook_concurrency: int = Field(16, ge=1, le=256, validation_alias=_env("WEBHOOK_CONCURRENCY"))
    webhook_endpoint_concurrency: int = Field(
        8, ge=1, le=256, validation_alias=_env("WEBHOOK_ENDPOINT_CONCURRENCY")
    )
    webhook_batch_size: int = Field(100, ge=1, le=1000, validation_alias=_env("WEBHOOK_BATCH_SIZE"))
    # A claimed delivery is another worker's to take after this long (the worker that held it died).
    webhook_lease_seconds: float = Field(120, ge=1, le=3600, validation_alias=_env("WEBHOOK_LEASE_SECONDS"))
    # How long an idle delivery loop waits for new work before it lets the other jobs run (PostgreSQL wakes
    # it at once on commit with LISTEN/NOTIFY; SQLite polls at this interval).
    webhook_poll_seconds: float = Field(0.5, gt=0, le=60, validation_alias=_env("WEBHOOK_POLL_SECONDS"))
    # After a secret rotation the old secret also signs for this long.
    webhook_rotation_grace_hours: float = Field(
        24, ge=0, le=720, validation_alias=_env("WEBHOOK_ROTATION_GRACE_HOURS")
    )

    # Signs session cookies and CSRF tokens of the web UI.
    secret_key: SecretStr = Field(
        SecretStr("development-only-secret-key"), validation_alias=_env("SECRET_KEY")
    )

    # Web sign-in: consecutive failures that lock an account, and for how long.
    signin_max_failures: int = Field(5, ge=1, validation_alias=_env("SIGNIN_MAX_FAILURES"))
    signin_lockout_minutes: int = Field(15, ge=1, validation_alias=_env("SIGNIN_LOCKOUT_MINUTES"))
    # A web session ends after this long without a request, and in any case after a shift's length.
    session_idle_minutes: int = Field(120, ge=1, validation_alias=_env("SESSION_IDLE_MINUTES"))
    session_max_hours: int = Field(12, ge=1, validation_alias=_env("SESSION_MAX_HOURS"))
    # Days on report charts and times on pages are shown in this zone (an IANA name).
    display_timezone: str = Field("UTC", validation_alias=_env("DISPLAY_TIMEZONE"))
    # Keys the blocking-key hashes of dedup (HMAC-SHA256): the match index holds no plaintext. Changing it
    # needs `hotline cases duplicates --reindex` so that stored keys are hashed with the new one.
    matching_key: SecretStr = Field(
        SecretStr("development-only-matching-key"), validation_alias=_env("MATCHING_KEY")
    )
    # Encrypts personal data at rest (AES-256-GCM): `id:base64key` pairs separated by commas, each key 32
    # random bytes (`hotline keys new-data-key`). New values use HOTLINE_DATA_KEY_ID (default: the last key);
    # the others only decrypt, until `hotline keys rotate-data-key` has re-encrypted everything.
    data_keys: SecretStr = Field(SecretStr(crypto.DEVELOPMENT_KEYRING), validation_alias=_env("DATA_KEYS"))
    data_key_id: str = Field("", validation_alias=_env("DATA_KEY_ID"))
    # Retention (`hotline retention apply`), in days; 0 turns a rule off. Voicemail recordings and MMS media
    # references; transcripts of voicemails (the narrative of a phone tip: off by default, since it is the
    # tip's content); calls that ended without a voicemail or a case; closed cases are anonymised (years).
    retention_recording_days: int = Field(30, ge=0, validation_alias=_env("RETENTION_RECORDING_DAYS"))
    retention_transcript_days: int = Field(0, ge=0, validation_alias=_env("RETENTION_TRANSCRIPT_DAYS"))
    retention_hang_up_days: int = Field(90, ge=0, validation_alias=_env("RETENTION_HANG_UP_DAYS"))
    retention_closed_case_years: int = Field(
        7, ge=0, le=100, validation_alias=_env("RETENTION_CLOSED_CASE_YEARS")
    )
    # Dedup decisions on the match probability (0-1) of the best candidate case: at or above `link` the tip
    # joins that case (if a name, phone, email, address or second person agrees); at or above `review` it
    # opens its own case and goes to the supervisors' review queue. A tip that also matches another case at
    # or above `merge` proves the two are one: they are merged (audited; a supervisor can move tips back).
    match_link_threshold: float = Field(0.7, ge=0, le=1, validation_alias=_env("MATCH_LINK_THRESHOLD"))
    match_review_threshold: float = Field(0.3, ge=0, le=1, validation_alias=_env("MATCH_REVIEW_THRESHOLD"))
    match_merge_threshold: float = Field(0.99, ge=0, le=1, validation_alias=_env("MATCH_MERGE_THRESHOLD"))
    match_auto_merge: bool = Field(True, validation_alias=_env("MATCH_AUTO_MERGE"))
    # A blocking key shared by more cases than this (a common name in a big state) finds no candidates:
    # it cannot tell them apart, and reading them all would make a lookup scan.
    match_max_cases_per_key: int = Field(
        50, ge=1, le=10_000, validation_alias=_env("MATCH_MAX_CASES_PER_KEY")
    )
    # Candidate cases scored per tip (those sharing the most keys first).
    match_max_candidates: int = Field(20, ge=1, le=1_000, validation_alias=_env("MATCH_MAX_CANDIDATES"))

    # Benchmark-only endpoints (`bench/load.py`: the framework ceiling it compares tip intake with). Never in
    # production: the settings refuse it there.
    bench_endpoints: bool = Field(False, validation_alias=_env("BENCH_ENDPOINTS"))

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        # Operators paste URLs of the form postgres:// or postgresql://; we always talk psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("display_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as 'America/Chicago'") from exc
        return value

    @field_validator("twilio_advocate_dial")
    @classmethod
    def _dialable_advocates(cls, value: str) -> str:
        for target in (part.strip() for part in value.split(",")):
            if target and not _DIAL_TARGET.match(target):
                raise ValueError(
                    "TWILIO_ADVOCATE_DIAL takes E.164 numbers (+15125550100), sip: URIs or client: names, "
                    "separated by commas"
                )
        return ",".join(part.strip() for part in value.split(",") if part.strip())

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        try:
            delays = [float(part) for part in value.split(",")]
        except ValueError:
            delays = []
        if not 1 <= len(delays) <= 50 or any(delay < 0 or delay > 7 * 86400 for delay in delays):
            raise ValueError(
                "HOTLINE_WEBHOOK_RETRY_SCHEDULE is 1 to 50 comma-separated delays in seconds (0 to 604800), "
                "e.g. 0,5,300,1800"
            )
        return ",".join(part.strip() for part in value.split(","))

    @field_validator("log_level")
    @classmethod
    def _upper_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret in PLACEHOLDER_SECRETS or secret.startswith("development-only") or len(secret) < 32:
                raise ValueError(
                    "HOTLINE_SECRET_KEY must be set to a random value of 32+ characters in production"
                )
            matching_key = self.matching_key.get_secret_value()
            if (
                matching_key in PLACEHOLDER_SECRETS
                or matching_key.startswith("development-only")
                or len(matching_key) < 32
            ):
                raise ValueError(
                    "HOTLINE_MATCHING_KEY must be set to a random value of 32+ characters in production"
                )
        try:
            keyring = self.keyring()
        except crypto.DataKeyError as exc:
            raise ValueError(f"HOTLINE_DATA_KEYS / HOTLINE_DATA_KEY_ID: {exc}") from exc
        if self.environment == "production" and crypto.DEVELOPMENT_KEY in keyring.keys.values():
            raise ValueError(
                "HOTLINE_DATA_KEYS must hold keys of your own in production, not the development key"
                " (make one with `hotline keys new-data-key`)"
            )
        if self.environment == "production" and self.bench_endpoints:
            raise ValueError("HOTLINE_BENCH_ENDPOINTS is for benchmarks and is refused in production")
        if not self.match_review_threshold <= self.match_link_threshold <= self.match_merge_threshold:
            raise ValueError(
                "dedup thresholds must keep HOTLINE_MATCH_REVIEW_THRESHOLD <= HOTLINE_MATCH_LINK_THRESHOLD"
                " <= HOTLINE_MATCH_MERGE_THRESHOLD"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        # Behind HTTPS the browser must never send the session cookie over plain HTTP.
        return self.public_base_url.startswith("https://")

    @property
    def advocate_dial_targets(self) -> list[str]:
        return [target for target in self.twilio_advocate_dial.split(",") if target]

    @property
    def webhook_retry_delays(self) -> list[float]:
        """Seconds before each attempt; its length is the number of attempts before a dead letter."""
        return [float(part) for part in self.webhook_retry_schedule.split(",")]

    def keyring(self) -> crypto.Keyring:
        """The data keys personal columns are encrypted with (HOTLINE_DATA_KEYS, HOTLINE_DATA_KEY_ID)."""
        return crypto.Keyring.parse(self.data_keys.get_secret_value(), self.data_key_id or None)

    @property
    def lookup_secret(self) -> bytes:
        """Keys the lookup and blocking hashes (HOTLINE_MATCHING_KEY)."""
        return self.matching_key.get_secret_value().encode()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
