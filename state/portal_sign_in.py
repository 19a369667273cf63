"""Contact sign-in (``/portal/sign-in``): ask for a magic link; the answer never tells whether the email is known."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from portal_app import routes
from portal_app.services import portal_access
from portal_app.settings import get_settings
from state.base import BaseState, Events, event

CONFIRMATION = (
    "If that address belongs to a customer contact with portal access, a sign-in link is on its way. "
    "It works once and expires in 15 minutes."
)


ANSWER_AFTER_SECONDS = 0.6


class PortalSignInState(BaseState):
    email: str = ""
    sent: bool = False
    show_dev_mailbox: bool = False
    # The portal page to come back to after signing in (``?next=``, from a page's gate): validated on load, again
    # when the link is made and when it is used. Not a secret: the visitor's own address bar holds it.
    next_path: str = ""

    @rx.var
    def google_href(self) -> str:
        return routes.sign_in_url("contact", routes.portal_next(self.next_path) or routes.PORTAL)

    @event
    def load(self) -> None:
        self.next_path = routes.portal_next(self.router.url.query_parameters.get("next", ""))
        self.sent = False
        self.show_dev_mailbox = get_settings().is_dev_like
        self._set_viewer(self._principal())

    @event
    def set_email(self, value: str) -> None:
        self.email = str(value)[:320]

    @event
    async def request_link(self) -> Events:
        email = self.email.strip()
        if not email:
            return rx.toast.error("Enter your email address.")
        client = self.router.session.client_ip
        next_path = routes.portal_next(self.next_path)
        started = time.monotonic()

        def work() -> None:
            with self._db() as session:
                # Raises nothing for unknown, malformed or rate-limited addresses: same answer whatever happens.
                portal_access.request_magic_link(session, email, client=client, next_path=next_path)

        # Off the event loop, which serves every other connection; then answer after the same delay whether
        # or not a link was made, so timing does not tell either.
        await asyncio.to_thread(work)
        await asyncio.sleep(max(0.0, ANSWER_AFTER_SECONDS - (time.monotonic() - started)))
        self.sent = True
        self.email = ""
        return None

    @event
    def start_over(self) -> None:
        self.sent = False
