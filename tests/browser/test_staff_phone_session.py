"""A staff login on a phone lasts while the citizen pages' service worker installs in the background.

Two helpers saw the login end right after /staff/ loaded in a phone context: the worker, registered by the
login page, fetched the citizen pages with the cookie of before the login, and their answers set that cookie
again. The worker now fetches without cookies; this test keeps it so.
"""
import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role, start, then", [("staff", "/staff/", "/staff/queue"),
                                               ("police", "/police/", "/police/reports")])
def test_a_phone_login_survives_the_service_worker_install(phone, live_server, role, start, then):
    login(phone, live_server, role)
    phone.goto(live_server.url + start)
    phone.wait_for_function("() => navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))",
                            timeout=20000)
    phone.wait_for_timeout(1500)   # the worker's install fetches have answered by now
    resp = phone.goto(live_server.url + then)
    assert "/login" not in phone.url and resp.status == 200, phone.url
