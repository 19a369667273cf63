"""One map from an audit entry's record to its staff page, for the audit log and the account timeline."""

from __future__ import annotations

from models.workspace import Role
from portal_app import routes
from state.record_links import RECORD_PAGES, record_href


def test_each_record_opens_its_page_for_a_role_that_may_read_it() -> None:
    for target, (page, _need) in RECORD_PAGES.items():
        assert record_href(Role.OWNER, target, 5) == routes.record_url(page, 5), target
    assert record_href(Role.OWNER, "account", 7) == routes.record_url(routes.STAFF_ACCOUNTS, 7)
    assert record_href(Role.OWNER, "customer_account", 7) == routes.record_url(routes.STAFF_ACCOUNTS, 7)
    for missing in (None, 0, -3):
        assert record_href(Role.OWNER, "invoice", missing) == ""
    assert record_href(Role.OWNER, "contact", 5) == "" and record_href(Role.OWNER, "mystery", 5) == ""


def test_the_review_queue_and_statements_follow_their_permissions() -> None:
    assert record_href(Role.FINANCE_REVIEWER, "intake_file", 5) == routes.STAFF_REVIEW
    assert record_href(Role.TEAM_LEAD, "intake_file", 5) == ""  # no intake:review
    assert record_href(Role.TEAM_LEAD, "statement_snapshot", 5, account_id=7) == routes.url_for(
        routes.STAFF_STATEMENTS, account=7
    )
    assert record_href(Role.OWNER, "statement_snapshot", 5) == ""  # no account to open
