"""Application settings, read from the environment (prefix ``PORTAL_``) and an optional ``.env`` file."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that ship in examples and must never guard a production deployment.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "dev-insecure-secret", "secret", "placeholder"})
DEV_SESSION_SECRET = "dev-insecure-secret"  # noqa: S105  refused in prod by the validator below


def _placeholder(secret: SecretStr) -> bool:
    return secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEV
    # Redis shared by several workers: Reflex keeps its state there (REFLEX_REDIS_URL) and the per-client rate
    # limits count there too, so a limit holds across workers. Empty: one worker, limits in its memory.
    redis_url: str = Field(default="", validation_alias=AliasChoices("PORTAL_REDIS_URL", "REFLEX_REDIS_URL"))
    database_url: str = Field(default=f"sqlite:///{PROJECT_ROOT / 'var' / 'portal.db'}")
    storage_dir: Path = PROJECT_ROOT / "var" / "private"
    # Keys the audit chain's HMAC (portal_app/services/audit.py): whoever can write to the database but does not
    # hold this secret cannot rebuild the chain after editing it. To rotate, move the old value into
    # PORTAL_SESSION_SECRET_PREVIOUS (comma-separated) and run `python -m portal_app.manage reseal-audit`.
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    session_secret_previous: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    public_base_url: str = "http://localhost:3000"

    # Identity provider. Empty issuer in dev/test means the built-in development provider.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    # Comma-separated (ops@example.com,root@example.com) or a JSON list.
    operator_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Mail. Empty host means the local outbox (shown at a dev-only mailbox page).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    mail_from: str = "Customer Portal <portal@localhost>"

    # Limits
    session_idle_minutes: int = 60 * 8
    session_absolute_hours: int = 24 * 7
    upload_max_bytes: int = 10 * 1024 * 1024
    # An upload whose body stops arriving for this long, or takes longer than the total, is refused (408): a stalled
    # client must not hold a connection and a buffer open for as long as it likes.
    upload_idle_seconds: float = 30.0
    upload_total_seconds: float = 600.0
    account_quota_bytes: int = 200 * 1024 * 1024

    load_demo_data: bool = True

    # Reverse proxies in front of the app that append to X-Forwarded-For. 0 trusts none (the socket peer is the
    # client); behind one proxy set 1. Used by per-client limits on HTTP routes and on the event socket.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    @field_validator("operator_emails", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            items = json.loads(text) if text.startswith("[") else text.split(",")
            return [str(item).strip().lower() for item in items if str(item).strip()]
        return value

    @field_validator("session_secret_previous", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env is Environment.PROD:
            if _placeholder(self.session_secret) or len(self.session_secret.get_secret_value()) < 32:
                raise ValueError(
                    "PORTAL_SESSION_SECRET must be set to a random value of at least 32 characters in prod"
                )
            if not self.oidc_issuer:
                raise ValueError(
                    "PORTAL_OIDC_ISSUER must be set in prod (the development provider is dev/test only)"
                )
            if not self.oidc_client_id:
                raise ValueError("PORTAL_OIDC_CLIENT_ID must be set in prod")
            if _placeholder(self.oidc_client_secret):
                raise ValueError(
                    "PORTAL_OIDC_CLIENT_SECRET must be set to the identity provider's client secret in prod"
                )
        return self

    @property
    def is_dev_like(self) -> bool:
        return self.env in (Environment.DEV, Environment.TEST)

    @property
    def uses_builtin_identity_provider(self) -> bool:
        return not self.oidc_issuer and self.is_dev_like


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
