from tests.factories import make_tenant


def test_two_tenants_build(session):
    a = make_tenant(session)
    b = make_tenant(session)
    assert a.ws.id != b.ws.id
    assert a.contact.account_id == a.account.id
