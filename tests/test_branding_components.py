"""The branding pieces render: the portal shell in the workspace's accent (a nested Radix theme bound to the state's
var) with its logo and name, the welcome message as text, and the settings panel with a label on every control."""

from __future__ import annotations

from components import branding, shell
from state.settings import SettingsState
from tests.test_components import NAV, TEXT, rendered, var

LOGO = var("logo_url", str)
ACCENT = var("accent", str)


def test_portal_shell_is_drawn_in_the_workspace_accent_with_its_logo() -> None:
    out = rendered(
        shell.portal_shell(
            branding.welcome_message(TEXT),
            nav=NAV,
            account_name=TEXT,
            workspace_name=TEXT,
            logo_url=LOGO,
            accent=ACCENT,
        )
    )
    assert out.startswith('{"name": "RadixThemesTheme"') and "accentColor:accent" in out
    assert "hasBackground:false" in out
    assert '"img"' in out and "src:logo_url" in out and "alt:text" in out and 'id:"portal-brand-logo"' in out
    assert 'id:"portal-brand-name"' in out and 'id:"portal-welcome"' in out
    assert "dangerouslySetInnerHTML" not in out  # the welcome text is text
    # Without an accent the shell is as before: no nested theme.
    plain = rendered(shell.portal_shell(nav=NAV, account_name=TEXT, workspace_name="Northwind"))
    assert "RadixThemesTheme" not in plain and "Northwind" in plain


def test_settings_panel_labels_every_control() -> None:
    out = rendered(branding.branding_panel(SettingsState))
    for label, control_id in (
        ("Display name", "branding-display-name"),
        ("Accent colour", "branding-accent"),
        ("Welcome text", "branding-welcome"),
        ("Logo", "branding-logo"),
    ):
        assert f'"{label}"' in out and f'htmlFor:"{control_id}"' in out and f'id:"{control_id}"' in out, label
    for element_id in ("branding-panel", "branding-save", "branding-logo-preview", "branding-logo-upload"):
        assert f'id:"{element_id}"' in out, element_id
    assert '"Save branding"' in out and '"Remove logo"' in out and '"Branding"' in out
    for accent in ("Teal", "Indigo", "Crimson", "Orange"):
        assert f'"{accent}"' in out
    assert '"Yellow"' not in out
    assert "/portal_upload.js" in out  # the upload script
