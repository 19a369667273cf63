"""Sign-in and sign-out controls.

Sign-out is a real HTML form POST to the HTTP sign-out route: only that route can delete the HttpOnly cookie and
the server-side session. Before submitting, the tab's Reflex client token is dropped from sessionStorage so the
page after sign-out starts with a fresh, empty state.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from portal_app import routes

SIGN_OUT_FORM_ID = "portal-sign-out"

# form.submit() bypasses the form's (prevented) submit event, so the browser performs the POST navigation itself.
_SUBMIT_SIGN_OUT = f"sessionStorage.clear();document.getElementById({json.dumps(SIGN_OUT_FORM_ID)}).submit();"


def sign_out_button(**props: Any) -> rx.Component:
    return rx.fragment(
        rx.el.form(
            id=SIGN_OUT_FORM_ID,
            action=routes.sign_out_url(),
            method="post",
            display="none",
        ),
        rx.button(
            rx.icon("log-out", size=14),
            "Sign out",
            type="button",
            variant="soft",
            color_scheme="gray",
            size="2",
            on_click=rx.call_script(_SUBMIT_SIGN_OUT),
            **props,
        ),
    )
