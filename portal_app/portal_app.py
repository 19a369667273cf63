"""The Reflex app: configuration of pages only. No queries and no side effects at import."""

import gc

import reflex as rx

from portal_app import routes
from portal_app.api import build_api
from portal_app.pages.admin import home as admin_home
from portal_app.pages.portal import approval as portal_approval
from portal_app.pages.portal import approvals as portal_approvals
from portal_app.pages.portal import deliveries as portal_deliveries
from portal_app.pages.portal import delivery as portal_delivery
from portal_app.pages.portal import document as portal_document
from portal_app.pages.portal import documents as portal_documents
from portal_app.pages.portal import estimate as portal_estimate
from portal_app.pages.portal import estimates as portal_estimates
from portal_app.pages.portal import home as portal_home
from portal_app.pages.portal import invoice as portal_invoice
from portal_app.pages.portal import invoices as portal_invoices
from portal_app.pages.portal import message as portal_message
from portal_app.pages.portal import messages as portal_messages
from portal_app.pages.portal import sign_in as portal_sign_in
from portal_app.pages.portal import statements as portal_statements
from portal_app.pages.public import landing, module, preview, records
from portal_app.pages.public.content import RECORDS
from portal_app.pages.staff import account as staff_account
from portal_app.pages.staff import accounts as staff_accounts
from portal_app.pages.staff import approval as staff_approval
from portal_app.pages.staff import approval_new as staff_approval_new
from portal_app.pages.staff import approvals as staff_approvals
from portal_app.pages.staff import audit as staff_audit
from portal_app.pages.staff import deliveries as staff_deliveries
from portal_app.pages.staff import delivery as staff_delivery
from portal_app.pages.staff import document as staff_document
from portal_app.pages.staff import document_form as staff_document_form
from portal_app.pages.staff import documents as staff_documents
from portal_app.pages.staff import estimate_form as staff_estimate_form
from portal_app.pages.staff import estimates as staff_estimates
from portal_app.pages.staff import home as staff_home
from portal_app.pages.staff import invoice as staff_invoice
from portal_app.pages.staff import invoice_form as staff_invoice_form
from portal_app.pages.staff import invoices as staff_invoices
from portal_app.pages.staff import message as staff_message
from portal_app.pages.staff import messages as staff_messages
from portal_app.pages.staff import onboarding
from portal_app.pages.staff import review as staff_review
from portal_app.pages.staff import settings as staff_settings
from portal_app.pages.staff import statements as staff_statements
from portal_app.pages.staff import task as staff_task
from portal_app.pages.staff import tasks as staff_tasks
from portal_app.services.mailer import mail_loop
from portal_app.settings import Environment, get_settings
from state.accounts import AccountDetailState, AccountsListState
from state.approvals import ApprovalDetailState, ApprovalNewState, ApprovalsListState
from state.audit import AuditLogState
from state.base import BaseState
from state.deliveries import DeliveriesListState, DeliveryDetailState
from state.delivery_form import DeliveryFormState
from state.document_form import DocumentFormState
from state.documents import DocumentDetailState, DocumentsListState
from state.estimate_form import EstimateFormState
from state.estimates import EstimateDetailState, EstimatesListState
from state.invoice_form import InvoiceFormState
from state.invoices import InvoiceDetailState, InvoicesListState
from state.messages import MessagesInboxState, MessageThreadState
from state.onboarding import OnboardingState
from state.operator import OperatorState
from state.portal import PortalHomeState
from state.portal_approvals import PortalApprovalsState, PortalApprovalState
from state.portal_deliveries import PortalDeliveriesState, PortalDeliveryState
from state.portal_documents import PortalDocumentsState, PortalDocumentState
from state.portal_estimates import PortalEstimatesState, PortalEstimateState
from state.portal_invoices import PortalInvoicesState, PortalInvoiceState
from state.portal_messages import PortalMessagesState, PortalThreadState
from state.portal_sign_in import PortalSignInState
from state.portal_statements import PortalStatementsState
from state.public_preview import PreviewState
from state.review import ReviewQueueState
from state.settings import SettingsState
from state.staff import StaffHomeState
from state.statements import StatementsState
from state.tasks import TaskDetailState, TasksListState

# The Radix theme is configured in rxconfig.py (RadixThemesPlugin); App(theme=...) is deprecated.
app = rx.App(api_transformer=build_api())

# Mail leaves through the outbox: a background loop in every worker (mails are claimed row by row, so several
# workers never send one twice). Tests drive deliver_outbox themselves and keep the outbox still.
if get_settings().env is not Environment.TEST:
    app.register_lifespan_task(mail_loop)


async def freeze_startup_objects() -> None:
    """Once the worker has started: move everything loaded so far (modules, compiled pages, state classes, some
    200k objects) out of the garbage collector's sight. Its full collections then walk only what requests create:
    at 200 open tabs they paused the worker 285-372 ms each before, 107-179 ms after (bench/socket_load.py).

    The youngest generation is then collected every 10,000 net allocations instead of 700: each event allocates
    thousands of short-lived objects, and the default let them trigger a full collection (which walks every open
    tab's state) every few seconds. At 200 tabs, none fell in a 40 s measurement and p95 went from 272 to 97 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


app.register_lifespan_task(freeze_startup_objects)

# (module with TITLE and DESCRIPTION, page component, route, loaders). Public pages hold static content and
# example data: their only database-touching event is the shared header's load_viewer, which queries nothing
# for a visitor without a session cookie. The preview's own loader runs first: it needs nothing but the URL.
PAGES = [
    (landing, landing.landing, routes.HOME, BaseState.load_viewer),
    (module, module.module_page, routes.MODULE, BaseState.load_viewer),
    (preview, preview.preview_page, routes.PREVIEW, [PreviewState.load, BaseState.load_viewer]),
    (staff_home, staff_home.staff_home, routes.STAFF, StaffHomeState.load),
    (staff_settings, staff_settings.settings_page, routes.STAFF_SETTINGS, SettingsState.load),
    (staff_accounts, staff_accounts.accounts_page, routes.STAFF_ACCOUNTS, AccountsListState.load),
    (
        staff_account,
        staff_account.account_page,
        routes.record_pattern(routes.STAFF_ACCOUNTS),
        AccountDetailState.load,
    ),
    (staff_estimates, staff_estimates.estimates_page, routes.STAFF_ESTIMATES, EstimatesListState.load),
    (
        staff_estimate_form,
        staff_estimate_form.estimate_form_page,
        f"{routes.STAFF_ESTIMATES}/{routes.NEW}",
        EstimateFormState.load,
    ),
    (
        staff_estimates,
        staff_estimates.estimate_detail_page,
        routes.record_pattern(routes.STAFF_ESTIMATES),
        EstimateDetailState.load,
    ),
    (
        staff_estimate_form,
        staff_estimate_form.estimate_form_page,
        routes.record_pattern(routes.STAFF_ESTIMATES, routes.EDIT),
        EstimateFormState.load,
    ),
    (staff_tasks, staff_tasks.tasks_page, routes.STAFF_TASKS, TasksListState.load),
    (staff_task, staff_task.task_page, routes.record_pattern(routes.STAFF_TASKS), TaskDetailState.load),
    (staff_approvals, staff_approvals.approvals_page, routes.STAFF_APPROVALS, ApprovalsListState.load),
    (
        staff_approval_new,
        staff_approval_new.approval_new_page,
        f"{routes.STAFF_APPROVALS}/{routes.NEW}",
        ApprovalNewState.load,
    ),
    (
        staff_approval,
        staff_approval.approval_page,
        routes.record_pattern(routes.STAFF_APPROVALS),
        ApprovalDetailState.load,
    ),
    (staff_invoices, staff_invoices.invoices_page, routes.STAFF_INVOICES, InvoicesListState.load),
    (
        staff_invoice_form,
        staff_invoice_form.invoice_form_page,
        f"{routes.STAFF_INVOICES}/{routes.NEW}",
        InvoiceFormState.load,
    ),
    (
        staff_invoice,
        staff_invoice.invoice_detail_page,
        routes.record_pattern(routes.STAFF_INVOICES),
        InvoiceDetailState.load,
    ),
    (
        staff_invoice_form,
        staff_invoice_form.invoice_form_page,
        routes.record_pattern(routes.STAFF_INVOICES, routes.EDIT),
        InvoiceFormState.load,
    ),
    (staff_documents, staff_documents.documents_page, routes.STAFF_DOCUMENTS, DocumentsListState.load),
    (
        staff_document_form,
        staff_document_form.document_form_page,
        f"{routes.STAFF_DOCUMENTS}/{routes.NEW}",
        DocumentFormState.load,
    ),
    (
        staff_document,
        staff_document.document_detail_page,
        routes.record_pattern(routes.STAFF_DOCUMENTS),
        DocumentDetailState.load,
    ),
    (staff_deliveries, staff_deliveries.deliveries_page, routes.STAFF_DELIVERIES, DeliveriesListState.load),
    (
        staff_deliveries,
        staff_deliveries.delivery_form_page,
        f"{routes.STAFF_DELIVERIES}/{routes.NEW}",
        DeliveryFormState.load,
    ),
    (
        staff_delivery,
        staff_delivery.delivery_detail_page,
        routes.record_pattern(routes.STAFF_DELIVERIES),
        DeliveryDetailState.load,
    ),
    (staff_statements, staff_statements.statements_page, routes.STAFF_STATEMENTS, StatementsState.load),
    (staff_messages, staff_messages.messages_page, routes.STAFF_MESSAGES, MessagesInboxState.load),
    (
        staff_message,
        staff_message.thread_page,
        routes.record_pattern(routes.STAFF_MESSAGES),
        [MessageThreadState.load, MessageThreadState.watch],
    ),
    (staff_review, staff_review.review_page, routes.STAFF_REVIEW, ReviewQueueState.load),
    (staff_audit, staff_audit.audit_page, routes.STAFF_AUDIT, AuditLogState.load),
    (onboarding, onboarding.onboarding, routes.ONBOARDING, OnboardingState.load),
    (
        portal_home,
        portal_home.portal_home,
        routes.PORTAL,
        [PortalHomeState.load, PortalHomeState.send_to_sign_in],
    ),
    (portal_invoices, portal_invoices.portal_invoices, routes.PORTAL_INVOICES, PortalInvoicesState.load),
    (
        portal_invoice,
        portal_invoice.portal_invoice,
        routes.record_pattern(routes.PORTAL_INVOICES),
        PortalInvoiceState.load,
    ),
    (
        portal_statements,
        portal_statements.portal_statements,
        routes.PORTAL_STATEMENTS,
        PortalStatementsState.load,
    ),
    (portal_messages, portal_messages.portal_messages, routes.PORTAL_MESSAGES, PortalMessagesState.load),
    (
        portal_message,
        portal_message.portal_thread,
        routes.record_pattern(routes.PORTAL_MESSAGES),
        [PortalThreadState.load, PortalThreadState.watch],
    ),
    (portal_documents, portal_documents.portal_documents, routes.PORTAL_DOCUMENTS, PortalDocumentsState.load),
    (
        portal_document,
        portal_document.portal_document,
        routes.record_pattern(routes.PORTAL_DOCUMENTS),
        PortalDocumentState.load,
    ),
    (
        portal_deliveries,
        portal_deliveries.portal_deliveries,
        routes.PORTAL_DELIVERIES,
        PortalDeliveriesState.load,
    ),
    (
        portal_delivery,
        portal_delivery.portal_delivery,
        routes.record_pattern(routes.PORTAL_DELIVERIES),
        PortalDeliveryState.load,
    ),
    (portal_estimates, portal_estimates.portal_estimates, routes.PORTAL_ESTIMATES, PortalEstimatesState.load),
    (
        portal_estimate,
        portal_estimate.portal_estimate,
        routes.record_pattern(routes.PORTAL_ESTIMATES),
        PortalEstimateState.load,
    ),
    (portal_approvals, portal_approvals.portal_approvals, routes.PORTAL_APPROVALS, PortalApprovalsState.load),
    (
        portal_approval,
        portal_approval.portal_approval,
        routes.record_pattern(routes.PORTAL_APPROVALS),
        PortalApprovalState.load,
    ),
    (portal_sign_in, portal_sign_in.portal_sign_in, routes.PORTAL_SIGN_IN, PortalSignInState.load),
    (admin_home, admin_home.operator_home, routes.OPERATOR, OperatorState.load),
]
for page_module, component, route, loaders in PAGES:
    app.add_page(
        component,
        route=route,
        title=page_module.TITLE,
        description=page_module.DESCRIPTION,
        on_load=loaders,
    )
for record in RECORDS:
    app.add_page(
        records.record_page(record.kind),
        route=routes.record_route(record.kind),
        title=record.title,
        description=record.description,
        on_load=BaseState.load_viewer,
    )
