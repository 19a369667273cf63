"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.account import (
    Contact,
    ContactAccess,
    ContactInvitation,
    ContactStatus,
    CustomerAccount,
    MagicLink,
)
from models.audit import AuditEvent, PlatformState
from models.base import UTCDateTime, utcnow
from models.delivery import Delivery, DeliveryEvent, DeliveryStatus
from models.desktop import DesktopSignIn
from models.estimate import Estimate, EstimateLine, EstimateStatus, EstimateVersion
from models.identity import AuthSession, OidcLogin, SessionKind, User
from models.intake import IntakeFile, IntakeKind, IntakeStatus
from models.invoice import Invoice, InvoiceLine, InvoiceStatus, Payment
from models.message import Message, MessageThread, ThreadSeen
from models.reminder import JobLease, ReminderDigest, ReminderPause, ReminderSent
from models.request import (
    ApprovalRequest,
    ApprovalStatus,
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
)
from models.statement import StatementSnapshot
from models.system import IdempotencyKey, MailStatus, OutboxMail
from models.task import FollowUpTask, TaskStatus
from models.workspace import (
    SEAT_LIMIT,
    InvitationStatus,
    MemberInvitation,
    Membership,
    Role,
    Workspace,
    WorkspaceStatus,
)

__all__ = [
    "SEAT_LIMIT",
    "ApprovalRequest",
    "ApprovalStatus",
    "AuditEvent",
    "AuthSession",
    "Contact",
    "ContactAccess",
    "ContactInvitation",
    "ContactStatus",
    "CustomerAccount",
    "Delivery",
    "DeliveryEvent",
    "DeliveryStatus",
    "DesktopSignIn",
    "DocumentRequest",
    "DocumentRequestItem",
    "DocumentRequestStatus",
    "Estimate",
    "EstimateLine",
    "EstimateStatus",
    "EstimateVersion",
    "FollowUpTask",
    "IdempotencyKey",
    "IntakeFile",
    "IntakeKind",
    "IntakeStatus",
    "InvitationStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "JobLease",
    "MagicLink",
    "MailStatus",
    "MemberInvitation",
    "Membership",
    "Message",
    "MessageThread",
    "ThreadSeen",
    "OidcLogin",
    "OutboxMail",
    "Payment",
    "PlatformState",
    "ReminderDigest",
    "ReminderPause",
    "ReminderSent",
    "Role",
    "SessionKind",
    "StatementSnapshot",
    "TaskStatus",
    "UTCDateTime",
    "User",
    "Workspace",
    "WorkspaceStatus",
    "utcnow",
]
