"""The issue's two typos in a real Chromium: a duplicate of a report that does not exist and a cost "12,5O" keep the
clerk on the job page, with the message at the field and everything typed, in German and in English."""
import re

import pytest

from tests.browser.conftest import login


def _first_job(page, server, status, owner=""):
    page.goto(f"{server.url}/staff/queue?status={status}&owner_type={owner}")
    rows = page.locator("table.queue tbody tr[data-job]")
    return rows.first.get_attribute("data-job") if rows.count() else None


@pytest.mark.parametrize("lang,no_such,not_a_number", [
    ("de", "Es gibt keine Meldung Nr. 999999.", "Kosten (EUR): „12,5O“ ist keine Zahl."),
    ("en", "There is no report number 999999.", "Cost (EUR): “12,5O” is not a number."),
])
def test_typos_keep_the_clerk_on_the_job_page(desktop, live_server, lang, no_such, not_a_number):
    page = desktop
    login(page, live_server, "staff")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto(f"{live_server.url}/staff/?lang={lang}")

    job = _first_job(page, live_server, "new")
    page.goto(f"{live_server.url}/staff/jobs/{job}")
    form = page.locator("#status-form")
    form.locator("input[name=duplicate_of]").fill("999999")
    form.locator("input[name=note]").fill("Nachbarhaus, schon gemeldet")
    form.locator("textarea[name=public_message]").fill("Danke!")
    form.locator("button[data-to=duplicate]").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/staff/jobs/{job}/status")
    assert page.locator(".staff-nav").is_visible()
    field = form.locator("input[name=duplicate_of]")
    assert field.input_value() == "999999" and field.get_attribute("aria-invalid") == "true"
    assert form.locator(".field-error").inner_text() == no_such
    assert page.evaluate("document.activeElement.name") == "duplicate_of"
    assert form.locator("input[name=note]").input_value() == "Nachbarhaus, schon gemeldet"
    assert form.locator("textarea[name=public_message]").input_value() == "Danke!"

    job = _first_job(page, live_server, "scheduled")
    if job is None:  # the demo city has none: verify and schedule one, as a clerk would
        job = _first_job(page, live_server, "new", owner="municipal") or _first_job(page, live_server, "new", "public")
        page.goto(f"{live_server.url}/staff/jobs/{job}")
        page.locator("#status-form button[data-to=verified]").click()
        page.locator("#status-form button[data-to=scheduled]").click()
    page.goto(f"{live_server.url}/staff/jobs/{job}")
    form = page.locator("#removal-form")
    form.locator("input[name=crew]").fill("Team Süd")
    form.locator("select[name=method]").select_option("chemical")
    form.locator("input[name=area_m2]").fill("3,5")
    form.locator("input[name=cost_eur]").fill("12,5O")
    form.locator("input[name=note]").fill("Rückseite auch")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/staff/jobs/{job}/removal")
    assert page.locator(".staff-nav").is_visible()
    assert form.locator(".field-error").inner_text() == not_a_number
    assert form.locator("input[name=cost_eur]").input_value() == "12,5O"
    assert form.locator("input[name=crew]").input_value() == "Team Süd"
    assert form.locator("select[name=method]").input_value() == "chemical"
    assert form.locator("input[name=area_m2]").input_value() == "3,5"
    assert form.locator("input[name=note]").input_value() == "Rückseite auch"
