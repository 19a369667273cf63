"""The "Branding" panel of ``/app/settings``: display name, accent colour, welcome text and logo.

``BrandingSettingsMixin`` is inherited by ``SettingsState`` (whose ``_fetch`` calls ``_fill_branding``); the panel is
``components/branding.py``. Every member reads the branding; owners and managers (``workspace:manage``) change it.
``can_manage_branding`` is intent only: every handler re-resolves the actor and the branding service checks the
permission again. The accent chosen in the select is client input until the service validates it on save.

The logo goes straight from the file field to ``POST /files/uploads/logo`` (``assets/portal_upload.js``), which
re-checks the staff session and the permission; ``logo_sent`` only shows the route's answer and reloads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import reflex as rx

from portal_app import formatting, palette, routes
from portal_app.services import branding
from portal_app.services.access import StaffActor
from portal_app.services.errors import ValidationFailed
from portal_app.services.permissions import Permission, role_has
from portal_app.settings import get_settings
from state.base import Events, event

if TYPE_CHECKING:
    from sqlmodel import Session

LOGO_INPUT_ID = "branding-logo"
LOGO_PROGRESS_ID = "branding-logo-progress"
MESSAGE_MAX = 300


def _field(form: Any, name: str, limit: int) -> str:
    raw = form.get(name) if isinstance(form, dict) else None
    return raw[: limit * 2] if isinstance(raw, str) else ""


class BrandingSettingsMixin(rx.State, mixin=True):
    """What the branding panel shows and the handlers that change it."""

    branding_name: str = ""  # what customers see: the display name or the workspace's name
    branding_display_name: str = ""  # the form's value (as saved, or as typed on error)
    branding_accent: str = palette.DEFAULT_ACCENT  # chosen in the form; the preview follows it
    branding_saved_accent: str = palette.DEFAULT_ACCENT
    branding_welcome: str = ""
    branding_logo_url: str = ""
    branding_errors: dict[str, str] = {}
    branding_form_version: int = 0  # a new value re-renders the form with the values above
    can_manage_branding: bool = False
    logo_sending: bool = False
    logo_limit_label: str = ""

    if TYPE_CHECKING:  # provided by the page state (StaffPage) that also inherits the mixin

        def _act(self, work: Callable[[Session, Any], Events]) -> Events: ...

    def _fill_branding(self, session: Session, actor: StaffActor, *, keep_typed: bool = False) -> None:
        brand = branding.staff_branding(session, actor)
        self.can_manage_branding = role_has(actor.role, Permission.WORKSPACE_MANAGE)
        self.branding_name = brand.name
        self.branding_saved_accent = brand.accent
        self.branding_logo_url = routes.logo_url(brand.logo_key)
        self.logo_limit_label = formatting.file_size(get_settings().upload_max_bytes)
        if not keep_typed:
            self.branding_display_name = brand.display_name
            self.branding_accent = brand.accent
            self.branding_welcome = brand.welcome_text
            self.branding_errors = {}
            self.branding_form_version += 1

    @event
    def set_branding_accent(self, value: str) -> Events:
        """The select's choice (client input: only a palette name is taken; the service checks it again)."""
        if isinstance(value, str) and value in palette.ACCENTS:
            self.branding_accent = value
        return None

    @event
    def save_branding(self, form: dict[str, Any]) -> Events:
        """Owners and managers: display name, accent colour and welcome text. Errors go under their field and
        what was typed is kept."""
        display_name = _field(form, "display_name", branding.MAX_DISPLAY_NAME)
        welcome = _field(form, "welcome_text", branding.MAX_WELCOME)
        accent = self.branding_accent

        def run(session: Session, actor: StaffActor) -> Events:
            try:
                brand = branding.update_branding(
                    session, actor, display_name=display_name, accent_color=accent, welcome_text=welcome
                )
            except ValidationFailed as exc:
                self.branding_display_name, self.branding_welcome = display_name, welcome
                field = next(
                    (
                        key
                        for key, word in (
                            ("display_name", "display name"),
                            ("welcome_text", "welcome text"),
                            ("accent_color", "accent colour"),
                        )
                        if word in exc.message
                    ),
                    "display_name",
                )
                self.branding_errors = {field: exc.message}
                return None
            self._fill_branding(session, actor)
            return rx.toast.success(
                f"Branding saved. Your customers see {brand.name} in {palette.accent(brand.accent).label} in the "
                "portal, new mails and new PDFs."
            )

        return self._act(run)

    @event
    def send_logo(self) -> Events:
        """Send the chosen image to the logo upload route (which checks the session and permission itself)."""
        if self.logo_sending:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            if not role_has(actor.role, Permission.WORKSPACE_MANAGE):
                return rx.toast.error("Only owners and managers can change the logo.")
            limit = get_settings().upload_max_bytes
            options = {
                "url": routes.backend_url(routes.FILES_UPLOAD_LOGO),
                "inputId": LOGO_INPUT_ID,
                "progressId": LOGO_PROGRESS_ID,
                "key": "logo",
                "maxBytes": limit,
                "maxLabel": formatting.file_size(limit),
                "notFoundMessage": "Your access to this workspace has ended. Reload the page and sign in again.",
            }
            unavailable = {
                "ok": False,
                "field": "",
                "message": "The page is still loading. Try again in a moment.",
            }
            script = (
                f"(window.portalUpload ? window.portalUpload({json.dumps(options)}) "
                f": Promise.resolve({json.dumps(unavailable)}))"
            )
            self.logo_sending = True
            self.branding_errors = {k: v for k, v in self.branding_errors.items() if k != "logo"}
            return rx.call_script(script, callback=type(self).logo_sent)  # type: ignore[attr-defined]

        return self._act(run)

    @event
    def logo_sent(self, result: Any) -> Events:
        """The route's answer, as the browser hands it back: shown, never trusted for anything else."""
        if not self.logo_sending:
            return None
        self.logo_sending = False
        ok = result.get("ok") if isinstance(result, dict) else None
        message = result.get("message") if isinstance(result, dict) else None
        if ok is not True:
            text = " ".join(message.split())[:MESSAGE_MAX] if isinstance(message, str) else ""
            self.branding_errors = {
                **self.branding_errors,
                "logo": text or "The logo could not be saved. Try again.",
            }
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            self._fill_branding(session, actor, keep_typed=True)
            return [
                rx.set_value(LOGO_INPUT_ID, ""),
                rx.toast.success("Logo saved. The portal, new mails and new PDFs show it now."),
            ]

        return self._act(run)

    @event
    def remove_logo(self) -> Events:
        def run(session: Session, actor: StaffActor) -> Events:
            branding.remove_logo(session, actor)
            self._fill_branding(session, actor, keep_typed=True)
            return rx.toast.success("Logo removed. The portal, new mails and new PDFs show your name only.")

        return self._act(run)


__all__ = ["LOGO_INPUT_ID", "LOGO_PROGRESS_ID", "BrandingSettingsMixin"]
