"""Who may call each event handler of the app: the explicit classification the abuse suite checks against.

Every key is ``"StateClass.handler"`` for each entry of ``StateClass.event_handlers`` (Reflex lists a state's own
handlers, including its built-in ``setvar``; inherited ones live on the parent state). Kinds:

- ``"public"``: anyone, signed in or not (sign-in pages, the public preview, the header's viewer).
- ``"contact"``: any signed-in portal contact; ``"contact:<permission>"``: a contact holding that contact permission
  (billing / operations / documents / messages) on the account their session looks at.
- ``"staff"``: any active member of the session's workspace (or, for onboarding, any staff sign-in);
  ``"staff:<permission>"``: a member whose role holds that ``Permission``; ``"a|b"`` means either one.
- ``"operator"``: a platform operator.

``setvar`` dispatches only to an existing ``set_<name>`` handler, so it carries the kind of the page.
tests/security/test_handler_inventory.py fails when a handler is missing here or listed here but gone.
"""

from __future__ import annotations

PUBLIC = "public"
CONTACT = "contact"
STAFF = "staff"
OPERATOR = "operator"

_LIST: tuple[str, ...] = (
    "apply_search",
    "clear_filters",
    "load",
    "next_page",
    "prev_page",
    "set_filter",
    "setvar",
)


def _page(state: str, kind: str, handlers: tuple[str, ...] = _LIST, **actions: str) -> dict[str, str]:
    """``handlers`` need the page's ``kind``; ``actions`` maps a handler to a stronger need."""
    out = {f"{state}.{name}": kind for name in handlers}
    out.update({f"{state}.{name}": need for name, need in actions.items()})
    return out


HANDLERS: dict[str, str] = {
    # -- public: sign-in pages, the public product preview, the header's "who is signed in" ----------------------
    **_page("BaseState", PUBLIC, ("load_viewer", "setvar")),
    **_page("PortalSignInState", PUBLIC, ("load", "request_link", "set_email", "start_over", "setvar")),
    **_page(
        "PreviewState",
        PUBLIC,
        (
            "accept_proof",
            "approve_estimate",
            "complete_task",
            "go_to",
            "load",
            "next_step",
            "previous_step",
            "reject_proof",
            "reset_preview",
            "share_estimate",
            "upload_proof",
            "setvar",
        ),
    ),
    # -- onboarding: any staff sign-in, with or without a workspace ----------------------------------------------
    **_page(
        "OnboardingState",
        STAFF,
        ("create_workspace", "load", "set_company_name", "set_portal_enabled", "set_slug", "setvar"),
    ),
    # -- the platform operator ------------------------------------------------------------------------------------
    **_page(
        "OperatorState",
        OPERATOR,
        _LIST + ("confirm_status", "open_dialog", "set_dialog_open", "set_reason"),
    ),
    # -- the portal (contacts) ------------------------------------------------------------------------------------
    **_page("ContactArea", CONTACT, ("switch_account", "setvar")),
    # The home's gate sends anyone who is not a contact to sign in: that button is for everyone.
    **_page("PortalHomeState", CONTACT, ("load", "setvar"), send_to_sign_in=PUBLIC),
    **_page("PortalInvoicesState", "contact:billing"),
    **_page(
        "PortalInvoiceState",
        "contact:billing",
        ("load", "proof_sent", "reload_proofs", "send_proof", "setvar"),
        send_about_record="contact:billing",
    ),
    **_page("PortalStatementsState", "contact:billing", ("apply_dates", "choose_period", "load", "setvar")),
    **_page("PortalEstimatesState", "contact:operations"),
    **_page("PortalEstimateState", "contact:operations", ("decide", "load", "send_about_record", "setvar")),
    **_page("PortalApprovalsState", "contact:operations"),
    **_page("PortalApprovalState", "contact:operations", ("load", "respond", "setvar")),
    **_page("PortalDeliveriesState", "contact:operations"),
    **_page("PortalDeliveryState", "contact:operations", ("load", "send_about_record", "setvar")),
    **_page("PortalDocumentsState", "contact:documents"),
    **_page(
        "PortalDocumentState",
        "contact:documents",
        ("files_sent", "load", "reload_items", "send_about_record", "send_files", "setvar"),
    ),
    **_page("PortalMessagesState", "contact:messages", _LIST + ("set_new_open", "start")),
    **_page(
        "PortalThreadState",
        "contact:messages",
        ("file_sent", "load", "reload_thread", "send", "watch", "setvar"),
    ),
    # -- staff -----------------------------------------------------------------------------------------------------
    **_page("StaffArea", STAFF, ("switch_workspace", "setvar")),
    # The home answers every member: owners and managers get the command center, the others a redirect.
    **_page("StaffHomeState", STAFF, ("load", "setvar")),
    **_page("TasksListState", "staff:tasks:read"),
    **_page(
        "TaskDetailState",
        "staff:tasks:read",
        ("load", "pick_assignee", "setvar"),
        add_comment="staff:tasks:manage",
        assign="staff:tasks:manage",
        save_due="staff:tasks:manage",
        set_status="staff:tasks:manage",
        reply_to_customer="staff:messages:send",
    ),
    **_page(
        "ReviewQueueState",
        "staff:intake:review",
        _LIST + ("accept", "choose_kind", "open_review", "reject", "set_review_open"),
    ),
    **_page(
        "MessagesInboxState", "staff:messages:read", _LIST + ("set_new_open",), start="staff:messages:send"
    ),
    **_page(
        "MessageThreadState",
        "staff:messages:read",
        ("load", "set_mode", "watch", "setvar"),
        send="staff:messages:send",
    ),
    **_page("AccountsListState", "staff:accounts:read"),
    **_page(
        "AccountDetailState",
        "staff:accounts:read",
        ("load", "show_older_activity", "setvar"),
        choose_owner="staff:accounts:manage",
        deactivate_contact="staff:contacts:manage",
        invite_contact="staff:contacts:manage",
        reactivate_contact="staff:contacts:manage",
        pause_account_reminders="staff:accounts:manage|invoices:manage",
        resume_account_reminders="staff:accounts:manage|invoices:manage",
    ),
    **_page("EstimatesListState", "staff:estimates:read", _LIST + ("choose_status",)),
    **_page(
        "EstimateDetailState",
        "staff:estimates:read",
        ("load", "setvar"),
        share="staff:estimates:manage",
        pause_record_reminders="staff:accounts:manage|invoices:manage",
        resume_record_reminders="staff:accounts:manage|invoices:manage",
    ),
    **_page(
        "EstimateFormState",
        "staff:estimates:manage",
        ("add_line", "choose_account", "load", "remove_line", "set_line", "submit", "setvar"),
    ),
    **_page("ApprovalsListState", "staff:approvals:read"),
    **_page(
        "ApprovalDetailState", "staff:approvals:read", ("load", "setvar"), cancel="staff:approvals:manage"
    ),
    **_page(
        "ApprovalNewState",
        "staff:approvals:manage",
        ("load", "pick_account", "pick_estimate", "submit", "setvar"),
    ),
    **_page("InvoicesListState", "staff:invoices:read"),
    **_page(
        "InvoiceDetailState",
        "staff:invoices:read",
        ("load", "set_payment_open", "setvar"),
        issue="staff:invoices:manage",
        void="staff:invoices:manage",
        record_payment="staff:payments:record",
        pause_record_reminders="staff:accounts:manage|invoices:manage",
        resume_record_reminders="staff:accounts:manage|invoices:manage",
    ),
    **_page(
        "InvoiceFormState",
        "staff:invoices:manage",
        ("add_line", "choose_account", "load", "remove_line", "set_line", "submit", "setvar"),
    ),
    **_page(
        "StatementsState",
        "staff:statements:read",
        ("apply_dates", "choose_account", "choose_period", "load", "setvar"),
        share="staff:invoices:manage",
    ),
    **_page("DocumentsListState", "staff:documents:read"),
    **_page(
        "DocumentDetailState",
        "staff:documents:read",
        ("load", "setvar"),
        cancel_request="staff:documents:manage",
        pause_record_reminders="staff:accounts:manage|invoices:manage",
        resume_record_reminders="staff:accounts:manage|invoices:manage",
    ),
    **_page(
        "DocumentFormState",
        "staff:documents:manage",
        ("add_item", "choose_account", "load", "remove_item", "set_item", "submit", "setvar"),
    ),
    **_page("DeliveriesListState", "staff:deliveries:read"),
    **_page(
        "DeliveryDetailState",
        "staff:deliveries:read",
        ("load", "setvar"),
        add_update="staff:deliveries:manage",
        share="staff:deliveries:manage",
        unshare="staff:deliveries:manage",
    ),
    **_page("DeliveryFormState", "staff:deliveries:manage", ("choose_account", "load", "submit", "setvar")),
    **_page(
        "AuditLogState",
        "staff:audit:read",
        (
            "apply_dates",
            "clear_filter",
            "clear_filters",
            "load",
            "newer_page",
            "newest_page",
            "older_page",
            "set_filter",
            "verify",
            "setvar",
        ),
    ),
    **_page(
        "SettingsState",
        "staff:members:read",
        ("load", "set_daily_digest", "set_invite_role", "setvar"),
        change_role="staff:members:manage",
        invite_member="staff:members:manage",
        remove_member="staff:members:manage",
        revoke_invitation="staff:members:manage",
        set_portal_enabled="staff:workspace:manage",
        set_customer_mails="staff:workspace:manage",
        save_branding="staff:workspace:manage",
        set_branding_accent="staff:workspace:manage",
        send_logo="staff:workspace:manage",
        logo_sent="staff:workspace:manage",
        remove_logo="staff:workspace:manage",
        refresh_reminders="staff:workspace:manage",
        save_reminder_schedule="staff:workspace:manage",
        set_reminders_on="staff:workspace:manage",
        set_time_zone="staff:workspace:manage",
        save_payment_instructions="staff:invoices:manage",
    ),
}
