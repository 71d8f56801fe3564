"""The browser infrastructure itself: the server answers and a login works in Chromium."""
from tests.browser.conftest import login


def test_start_page_in_german_then_english(phone, live_server):
    phone.goto(live_server.url + "/")
    assert "Graffiti oder Sachbeschädigung melden" in phone.inner_text("h1")
    with phone.expect_navigation():
        phone.get_by_role("link", name="EN", exact=True).click()
    assert "Report graffiti or damage" in phone.inner_text("h1")


def test_staff_login_reaches_the_staff_page(desktop, live_server):
    login(desktop, live_server, "staff")
    assert desktop.url.endswith("/staff/")
    assert "e2e-staff@example.org" in desktop.inner_text("main")
