"""Workspace onboarding (``/app/onboarding``): a signed-in staff user creates their workspace."""

from __future__ import annotations

import re
import unicodedata

import reflex as rx

from models import SessionKind
from portal_app import routes
from portal_app.services import identity
from portal_app.services.errors import DomainError
from state.base import BaseState, Events, event, full_reload

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def suggest_slug(name: str) -> str:
    """A URL-safe suggestion from a company name: ASCII, lowercase, single hyphens, 3-63 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:63].strip("-")
    return slug


class OnboardingState(BaseState):
    signed_in: bool = False
    loaded: bool = False
    company_name: str = ""
    slug: str = ""
    slug_edited: bool = False
    portal_enabled: bool = True
    submitting: bool = False

    @rx.var
    def sign_in_href(self) -> str:
        return routes.sign_in_url("staff", routes.ONBOARDING)

    @event
    def load(self) -> None:
        principal = self._principal()
        self.signed_in = principal is not None and principal.kind is SessionKind.STAFF
        self._set_viewer(principal if self.signed_in else None, name="Signed in" if self.signed_in else "")
        self.loaded = True

    @event
    def set_company_name(self, value: str) -> None:
        self.company_name = str(value)[:120]
        if not self.slug_edited:
            self.slug = suggest_slug(self.company_name)

    @event
    def set_slug(self, value: str) -> None:
        self.slug = str(value)[:63].lower()
        self.slug_edited = bool(self.slug)

    @event
    def set_portal_enabled(self, value: bool) -> None:
        self.portal_enabled = bool(value)

    @event
    def create_workspace(self) -> Events:
        if self.submitting:
            return None
        self.submitting = True
        try:
            with self._db() as session:
                identity.complete_onboarding(
                    session,
                    self._token(),
                    name=self.company_name,
                    slug=self.slug,
                    portal_enabled=self.portal_enabled,
                )
        except DomainError as exc:
            self.submitting = False
            return self._refused(exc, reload=OnboardingState.load)
        self.reset()
        # A full page load: the dashboard starts on a fresh websocket with the session now in the new workspace.
        return full_reload(routes.STAFF)
