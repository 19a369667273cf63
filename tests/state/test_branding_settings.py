"""Branding without a browser: the settings panel (owners and managers change it, others read it, forged values
change nothing) and the portal shell and home, which show a contact their own workspace's branding only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session

from components.branding import LOGO_INPUT_ID as COMPONENT_LOGO_INPUT_ID
from components.branding import LOGO_PROGRESS_ID as COMPONENT_LOGO_PROGRESS_ID
from portal_app import routes
from portal_app.services import branding
from state.branding import LOGO_INPUT_ID, LOGO_PROGRESS_ID
from state.portal import PortalHomeState
from state.portal_invoices import PortalInvoicesState
from state.settings import SettingsState
from tests.factories import make_tenant
from tests.state.test_page_states import call, contact_token, page_state, staff_token


@pytest.fixture()
def db(committed_engine: sa.Engine, storage_dir: Path) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def png(color: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), color).save(out, "PNG")
    return out.getvalue()


def saved(db: Session, ws_id: int) -> branding.Branding:
    db.expire_all()
    brand = branding.get_branding(db, ws_id)
    db.commit()  # end the read: SQLite's writer lock
    return brand


def settings_tab(db: Session, actor) -> SettingsState:
    state = page_state(
        SettingsState, staff_token(db, actor.user_id, actor.workspace_id), path=routes.STAFF_SETTINGS
    )
    call(state, "load")
    assert state.gate == "ready"
    return state


def test_the_ids_the_state_sends_are_the_panels() -> None:
    assert (LOGO_INPUT_ID, LOGO_PROGRESS_ID) == (COMPONENT_LOGO_INPUT_ID, COMPONENT_LOGO_PROGRESS_ID)


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_save_the_branding(db: Session, role: str) -> None:
    t = make_tenant(db, name="Acme Holdings")
    state = settings_tab(db, getattr(t, role))
    assert state.can_manage_branding and state.branding_name == "Acme Holdings"
    assert state.branding_accent == "teal" and state.branding_logo_url == ""
    call(state, "set_branding_accent", "violet")
    assert state.branding_accent == "violet"
    result = call(state, "save_branding", {"display_name": " Acme ", "welcome_text": "Hello <b>there</b>"})
    assert "Branding saved" in str(result) and state.branding_errors == {}
    assert state.branding_name == "Acme" and state.branding_display_name == "Acme"
    assert saved(db, t.ws.id) == branding.Branding(
        name="Acme", accent="violet", logo_key="", welcome_text="Hello <b>there</b>", display_name="Acme"
    )


def test_forged_and_bad_values_are_refused_and_what_was_typed_is_kept(db: Session) -> None:
    t = make_tenant(db, name="Acme Holdings")
    state = settings_tab(db, t.owner)
    for forged in ("yellow", "#ff0000", "teal;color:red", None, ["red"], {"a": 1}):
        call(state, "set_branding_accent", forged)
        assert state.branding_accent == "teal"
    state.branding_accent = "yellow"  # a forged var: the service refuses it on save
    call(state, "save_branding", {"display_name": "Acme", "welcome_text": ""})
    assert "accent colour" in state.branding_errors["accent_color"]
    state.branding_accent = "teal"
    call(state, "save_branding", {"display_name": "x" * 130, "welcome_text": "kept"})
    assert "120 characters" in state.branding_errors["display_name"]
    assert state.branding_display_name == "x" * 130 and state.branding_welcome == "kept"
    for forged_form in ("not a form", None, {"display_name": ["a"], "welcome_text": 5}):
        call(state, "save_branding", forged_form)
    assert saved(db, t.ws.id).name == "Acme Holdings"  # nothing was saved


@pytest.mark.parametrize("role", ["team_lead", "finance"])
def test_other_roles_read_the_branding_and_cannot_change_it(db: Session, role: str) -> None:
    t = make_tenant(db)
    branding.update_branding(db, t.owner, display_name="Shown", accent_color="plum", welcome_text="")
    branding.set_logo(db, t.owner, png())
    key = saved(db, t.ws.id).logo_key
    state = settings_tab(db, getattr(t, role))
    assert not state.can_manage_branding
    assert state.branding_name == "Shown" and state.branding_accent == "plum"
    assert state.branding_logo_url == routes.logo_url(key)
    call(state, "set_branding_accent", "red")
    call(state, "save_branding", {"display_name": "Hijacked", "welcome_text": ""})
    call(state, "remove_logo")
    result = call(state, "send_logo")
    assert "Only owners and managers" in str(result) and routes.FILES_UPLOAD_LOGO not in str(result)
    after = saved(db, t.ws.id)
    assert after.name == "Shown" and after.accent == "plum" and after.logo_key == key


def test_anonymous_tab_changes_nothing(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(SettingsState, None, path=routes.STAFF_SETTINGS)
    state.branding_accent = "red"
    call(state, "save_branding", {"display_name": "Forged", "welcome_text": ""})
    call(state, "remove_logo")
    assert routes.FILES_UPLOAD_LOGO not in str(call(state, "send_logo"))
    assert state.branding_name == "" and saved(db, t.ws.id).name == t.ws.name


def test_logo_upload_round_trip_and_removal(db: Session) -> None:
    t = make_tenant(db)
    state = settings_tab(db, t.owner)
    script = str(call(state, "send_logo"))
    assert routes.FILES_UPLOAD_LOGO in script and LOGO_INPUT_ID in script and state.logo_sending
    assert call(state, "send_logo") is None  # one upload at a time
    call(state, "logo_sent", {"ok": False, "field": "file", "message": "A logo must be an image."})
    assert state.branding_errors["logo"] == "A logo must be an image." and not state.logo_sending
    call(state, "logo_sent", {"ok": True, "message": "forged"})  # no upload running: ignored
    assert state.branding_logo_url == ""
    # The route stored a logo (as the browser's upload would); the answer reloads the panel.
    branding.set_logo(db, t.owner, png())
    key = saved(db, t.ws.id).logo_key
    call(state, "send_logo")
    result = call(state, "logo_sent", {"ok": True, "message": "Logo saved."})
    assert "Logo saved" in str(result) and state.branding_logo_url == routes.logo_url(key)
    assert "logo" not in state.branding_errors
    call(state, "remove_logo")
    assert state.branding_logo_url == "" and saved(db, t.ws.id).logo_key == ""


# -- the portal: a contact sees their own workspace's branding only -------------------------------------------------


def _brand(db: Session, t, name: str, accent: str, welcome: str) -> str:
    branding.update_branding(db, t.owner, display_name=name, accent_color=accent, welcome_text=welcome)
    branding.set_logo(db, t.owner, png())
    return saved(db, t.ws.id).logo_key


def test_portal_shell_and_home_show_the_contacts_own_branding_only(db: Session) -> None:
    a, b = make_tenant(db, name="Acme Holdings"), make_tenant(db, name="Bolt Industries")
    key_a = _brand(db, a, "Acme Studio", "crimson", "Welcome to <Acme>!\nAsk us anything.")
    plain_b = make_tenant(db, name="Plain Co")
    key_b = _brand(db, b, "Bolt", "indigo", "Hi from Bolt")

    home_a = page_state(PortalHomeState, contact_token(db, a.contact), path=routes.PORTAL)
    call(home_a, "load")
    assert home_a.gate == "ready"
    assert home_a.team_name == "Acme Studio" and home_a.brand_accent == "crimson"
    assert home_a.brand_logo_url == routes.logo_url(key_a)
    assert home_a.welcome_text == "Welcome to <Acme>!\nAsk us anything."
    shown = str(home_a.dict())
    for leak in ("Bolt", key_b, "indigo", "Acme Holdings"):
        assert leak not in shown

    page_b = page_state(
        PortalInvoicesState, contact_token(db, b.billing_contact), path=routes.PORTAL_INVOICES
    )
    call(page_b, "load")
    assert page_b.team_name == "Bolt" and page_b.brand_accent == "indigo"
    assert page_b.brand_logo_url == routes.logo_url(key_b)
    assert all(leak not in str(page_b.dict()) for leak in ("Acme", key_a, "crimson"))

    plain = page_state(PortalHomeState, contact_token(db, plain_b.contact), path=routes.PORTAL)
    call(plain, "load")
    assert plain.team_name == "Plain Co" and plain.brand_accent == "teal"
    assert plain.brand_logo_url == "" and plain.welcome_text == ""


def test_a_changed_branding_shows_on_the_next_page_load(db: Session) -> None:
    t = make_tenant(db, name="Acme Holdings")
    state = page_state(PortalHomeState, contact_token(db, t.contact), path=routes.PORTAL)
    call(state, "load")
    assert state.team_name == "Acme Holdings"
    branding.update_branding(db, t.owner, display_name="Acme Now", accent_color="orange", welcome_text="")
    db.commit()
    call(state, "load")
    assert state.team_name == "Acme Now" and state.brand_accent == "orange"
