"""Settings refuse unsafe production configuration at start-up."""

import pytest
from pydantic import ValidationError

from portal_app.settings import Environment, Settings

GOOD_SECRET = "k" * 48


@pytest.mark.parametrize("secret", ["", "change-me", "dev-insecure-secret", "short-but-random"])
def test_prod_refuses_placeholder_or_short_session_secret(secret):
    with pytest.raises(ValidationError, match="PORTAL_SESSION_SECRET"):
        Settings(env=Environment.PROD, session_secret=secret, oidc_issuer="https://accounts.google.com")


def test_prod_needs_a_client_id():
    with pytest.raises(ValidationError, match="PORTAL_OIDC_CLIENT_ID"):
        Settings(env=Environment.PROD, session_secret=GOOD_SECRET, oidc_issuer="https://accounts.google.com")


def test_prod_refuses_the_development_identity_provider():
    with pytest.raises(ValidationError, match="PORTAL_OIDC_ISSUER"):
        Settings(env=Environment.PROD, session_secret=GOOD_SECRET)


@pytest.mark.parametrize("secret", ["", "change-me", "placeholder"])
def test_prod_refuses_a_placeholder_client_secret(secret):
    with pytest.raises(ValidationError, match="PORTAL_OIDC_CLIENT_SECRET"):
        Settings(
            env=Environment.PROD,
            session_secret=GOOD_SECRET,
            oidc_issuer="https://accounts.google.com",
            oidc_client_id="cid",
            oidc_client_secret=secret,
        )


def test_secrets_never_show_in_reprs_or_dumps():
    settings = Settings(
        env=Environment.PROD,
        session_secret=GOOD_SECRET,
        session_secret_previous="o" * 40 + ",q" + "q" * 40,
        oidc_issuer="https://accounts.google.com",
        oidc_client_id="cid",
        oidc_client_secret="google-secret-value-123",
        smtp_password="smtp-password-value-456",
    )
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in (GOOD_SECRET, "o" * 40, "google-secret-value-123", "smtp-password-value-456"):
        assert secret not in shown
    assert [s.get_secret_value() for s in settings.session_secret_previous] == ["o" * 40, "q" * 41]


def test_prod_with_real_settings_starts_and_dev_uses_embedded_defaults(monkeypatch):
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)  # the suite may point at PostgreSQL
    prod = Settings(
        env=Environment.PROD,
        session_secret=GOOD_SECRET,
        oidc_issuer="https://accounts.google.com",
        oidc_client_id="cid",
        oidc_client_secret="c" * 40,
    )
    assert not prod.uses_builtin_identity_provider
    dev = Settings(env=Environment.DEV)
    assert dev.uses_builtin_identity_provider and dev.database_url.startswith("sqlite")


def test_environment_prefix_is_read(monkeypatch):
    monkeypatch.setenv("PORTAL_UPLOAD_MAX_BYTES", "1234")
    assert Settings().upload_max_bytes == 1234


@pytest.mark.parametrize(
    "raw", ["Ops@Example.test, root@example.test", '["ops@example.test", "root@example.test"]']
)
def test_operator_emails_accept_a_list_or_commas(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_OPERATOR_EMAILS", raw)
    assert Settings().operator_emails == ["ops@example.test", "root@example.test"]
