"""Error pages keep the layout of their area: staff and police see their menu and a link back into it;
citizens, and users of another role, the public layout."""
import pytest


def _page(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/staff/jobs/999999999", "/staff/plans/999999999", "/staff/no-such-page"])
def test_staff_errors_keep_the_staff_menu_and_lead_back_into_the_staff_area(staff_client, url):
    page = _page(staff_client, url, 404)
    assert 'class="staff-nav"' in page and "Tagesplanung" in page
    assert '<a href="/staff/">Zurück zum Gebäudemanagement</a>' in page
    assert "Zur Startseite" not in page


def test_staff_errors_in_english(staff_client):
    page = _page(staff_client, "/staff/jobs/999999999?lang=en", 404)
    assert "This report does not exist." in page and "Back to building management" in page
    page = _page(staff_client, "/staff/plans/999999999", 404)
    assert "This crew plan does not exist." in page


def test_a_bad_staff_request_is_a_400_in_the_staff_layout(staff_client):
    page = _page(staff_client, "/staff/plans/new?shift=40", 400)
    assert 'class="staff-nav"' in page and "shift" in page


@pytest.mark.parametrize("url, status", [("/police/reports/999999999", 404), ("/police/tags/999999999", 404),
                                         ("/police/?weekday=9", 400), ("/police/near-repeat?days=3,1", 400)])
def test_police_errors_keep_the_police_menu_and_lead_back_to_the_map(police_client, url, status):
    page = _page(police_client, url, status)
    assert 'class="police-nav"' in page and "Near-Repeat" in page
    assert '<a href="/police/">Zurück zur Hotspot-Karte</a>' in page


def test_police_errors_in_english(police_client):
    page = _page(police_client, "/police/tags/999999999?lang=en", 404)
    assert "This tag does not exist." in page and "Back to the hot spot map" in page


def test_users_of_another_role_and_citizens_get_the_public_layout(police_client, staff_client, client):
    for c, url, status in ((police_client, "/staff/", 403), (staff_client, "/police/", 403),
                           (client, "/r/no-such-token", 404), (client, "/no-such-page", 404)):
        page = _page(c, url, status)
        assert "staff-nav" not in page and "police-nav" not in page
        assert '<a href="/">Zur Startseite</a>' in page


def test_admins_see_the_area_of_the_error(admin_client):
    assert 'class="staff-nav"' in _page(admin_client, "/staff/jobs/999999999", 404)
    assert 'class="police-nav"' in _page(admin_client, "/police/reports/999999999", 404)
