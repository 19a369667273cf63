"""The one permissions table: staff role -> permissions, and the contact-permission rules.

Both the checks in ``access`` and the generated access-matrix tests read these tables.
"""

from enum import StrEnum

from models.workspace import Role


class Permission(StrEnum):
    WORKSPACE_MANAGE = "workspace:manage"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_MANAGE = "accounts:manage"
    CONTACTS_MANAGE = "contacts:manage"
    ESTIMATES_READ = "estimates:read"
    ESTIMATES_MANAGE = "estimates:manage"
    INVOICES_READ = "invoices:read"
    INVOICES_MANAGE = "invoices:manage"
    PAYMENTS_RECORD = "payments:record"
    STATEMENTS_READ = "statements:read"
    APPROVALS_READ = "approvals:read"
    APPROVALS_MANAGE = "approvals:manage"
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_MANAGE = "documents:manage"
    INTAKE_READ = "intake:read"
    INTAKE_REVIEW = "intake:review"
    MESSAGES_READ = "messages:read"
    MESSAGES_SEND = "messages:send"
    DELIVERIES_READ = "deliveries:read"
    DELIVERIES_MANAGE = "deliveries:manage"
    TASKS_READ = "tasks:read"
    TASKS_MANAGE = "tasks:manage"
    AUDIT_READ = "audit:read"


_READ_ALL = frozenset(
    {
        Permission.MEMBERS_READ,
        Permission.ACCOUNTS_READ,
        Permission.ESTIMATES_READ,
        Permission.INVOICES_READ,
        Permission.STATEMENTS_READ,
        Permission.APPROVALS_READ,
        Permission.DOCUMENTS_READ,
        Permission.INTAKE_READ,
        Permission.MESSAGES_READ,
        Permission.DELIVERIES_READ,
        Permission.TASKS_READ,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset(Permission),
    Role.TEAM_LEAD: _READ_ALL
    | {
        Permission.ACCOUNTS_MANAGE,
        Permission.CONTACTS_MANAGE,
        Permission.ESTIMATES_MANAGE,
        Permission.APPROVALS_MANAGE,
        Permission.DOCUMENTS_MANAGE,
        Permission.MESSAGES_SEND,
        Permission.DELIVERIES_MANAGE,
        Permission.TASKS_MANAGE,
    },
    Role.FINANCE_REVIEWER: _READ_ALL
    | {
        Permission.INVOICES_MANAGE,
        Permission.PAYMENTS_RECORD,
        Permission.INTAKE_REVIEW,
        Permission.MESSAGES_SEND,
        Permission.TASKS_MANAGE,
        Permission.AUDIT_READ,
    },
}

# A member may grant or change only roles at or below their own rank.
ROLE_RANK: dict[Role, int] = {
    Role.OWNER: 3,
    Role.MANAGER: 2,
    Role.TEAM_LEAD: 1,
    Role.FINANCE_REVIEWER: 1,
}

ROLE_LABELS: dict[Role, str] = {
    Role.OWNER: "Owner",
    Role.MANAGER: "Manager",
    Role.TEAM_LEAD: "Team lead",
    Role.FINANCE_REVIEWER: "Finance/admin reviewer",
}


def role_has(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def can_grant(granter: Role, role: Role) -> bool:
    return ROLE_RANK[role] <= ROLE_RANK[granter]


class ContactPermission(StrEnum):
    """What a contact may see and do for one linked account. Messages are open to every contact."""

    BILLING = "billing"  # invoices, statements, payments, payment proof
    OPERATIONS = "operations"  # estimates, approvals, deliveries
    DOCUMENTS = "documents"  # document requests and their uploads
    MESSAGES = "messages"  # every contact has it
