"""A citizen (not logged in) who opens staff and police URLs is refused."""
import pytest


@pytest.mark.parametrize("path", ["/staff/", "/police/"])
def test_citizen_is_sent_to_login_for_staff_and_police_pages(phone, live_server, path):
    phone.goto(live_server.url + path)
    assert "/login" in phone.url
    assert phone.locator("input[name=password]").is_visible()
    assert phone.inner_text("h1") == "Anmelden"
    assert "Angemeldet als" not in phone.inner_text("main")



def test_citizen_api_calls_to_protected_data_are_refused(phone, live_server):
    resp = phone.request.get(live_server.url + "/api/v1/hotspots?method=dbscan")
    assert resp.status in (401, 403)
    assert "errors" in resp.json()
