"""File upload pieces: a labelled file field and a progress bar, driven by ``assets/portal_upload.js``.

The file never goes through the page's form data or Reflex's public upload folder: the form's state validates the
other fields, then calls ``window.portalUpload`` (loaded with :func:`upload_script`), which sends the chosen file
straight to an authenticated backend route and updates the progress bar as it goes. Used for payment proof and,
later, for requested documents.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.form import control_props, field

# What the file picker offers (the server decides from the content, whatever the name says).
ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,.gif"
ACCEPT_LABEL = "PDF, PNG, JPEG, WebP or GIF"  # what the intake accepts (services/storage.py ALLOWED_LABEL)
SCRIPT_SRC = "/portal_upload.js"


def upload_script() -> rx.Component:
    """Loads ``window.portalUpload`` (once per page that has an upload form)."""
    return rx.script(src=SCRIPT_SRC)


def file_field(
    label: Any,
    *,
    control_id: str,
    limit_label: Any,
    error: Var[Any] | str = "",
    accept: str = ACCEPT,
    accept_label: str = ACCEPT_LABEL,
    required: bool = True,
    disabled: Var[bool] | bool = False,
    multiple: bool = False,
    **props: Any,
) -> rx.Component:
    """A ``<input type=file>`` with its visible label, help text (allowed types and size limit) and error.

    The input has no ``name``: the file is read by the upload script from the element (``control_id``), not sent
    with the form's data. ``multiple`` lets the person choose several files at once (the script sends them one
    after another, each size-limited on its own); ``props`` go to the field's wrapper.
    """
    hint = rx.text(
        "One or more files, " if multiple else "One file, ",
        accept_label,
        ", each up to " if multiple else ", up to ",
        limit_label,
        ".",
        as_="span",
    )
    return field(
        label,
        rx.el.input(
            type="file",
            accept=accept,
            required=required,
            disabled=disabled,
            multiple=multiple,
            font_size="14px",
            width="100%",
            **control_props(control_id, error, True),
        ),
        control_id=control_id,
        hint=hint,
        required=required,
        error=error,
        **props,
    )


def upload_progress(progress_id: str, *, label: str = "Upload progress") -> rx.Component:
    """A ``<progress>`` bar the upload script fills while the file is sent; hidden when no upload runs."""
    return rx.el.progress(
        id=progress_id,
        max=1,
        value=0,
        hidden=True,
        aria_label=label,
        width="100%",
        height="12px",
    )


__all__ = ["ACCEPT", "ACCEPT_LABEL", "SCRIPT_SRC", "file_field", "upload_progress", "upload_script"]
