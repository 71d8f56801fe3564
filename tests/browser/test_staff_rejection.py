"""A rejection tells the citizen why: the clerk finds the report in the queue by its number, rejects it with a
canned reply and a message of their own, and the citizen's status page shows both (the internal note never)."""
import re

from tests.browser.conftest import INSIDE_HEILBRONN, login


def test_a_rejection_with_a_message_appears_on_the_citizens_status_page(browser, live_server, request):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE", service_workers="block")
    page = ctx.new_page()
    request.node._page = page
    try:
        answer = page.request.post(live_server.url + "/api/v1/reports", multipart={
            "lat": str(INSIDE_HEILBRONN["latitude"] + 0.002), "lon": str(INSIDE_HEILBRONN["longitude"] - 0.002),
            "category": "graffiti", "description": "Bunte Bilder am Jugendhaus"})
        assert answer.status == 201, answer.text()
        report = answer.json()
        login(page, live_server, "staff")
        page.wait_for_url(re.compile(r"/staff/$"))
        page.goto(f"{live_server.url}/staff/queue")
        page.fill("#queue-filters input[name=q]", f"#{report['id']}")
        page.click("#queue-filters button[type=submit]")
        rows = page.locator("table.queue tbody tr[data-job]")
        assert rows.count() == 1 and rows.first.get_attribute("data-job") == str(report["id"])
        rows.first.locator("a").first.click()
        page.wait_for_url(re.compile(rf"/staff/jobs/{report['id']}$"))

        form = page.locator("#status-form")
        form.locator("button[data-to=rejected]").click()           # without a reason: refused at the field
        assert form.locator("textarea[name=public_message]").get_attribute("aria-invalid") == "true"
        form.locator("select[name=public_reply]").select_option("permitted_art")
        form.locator("input[name=note]").fill("intern: Jugendamt gefragt")
        form.locator("textarea[name=public_message]").fill("Das Bild hat das Jugendhaus mit der Stadt gestaltet.")
        form.locator("button[data-to=rejected]").click()
        page.wait_for_url(re.compile(rf"/staff/jobs/{report['id']}$"))
        assert page.inner_text(".job-status") == "Abgelehnt"

        citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE", service_workers="block")
        try:
            phone = citizen.new_page()
            phone.goto(live_server.url + report["status_url"])
            latest = phone.locator(".city-message.latest").inner_text()
            assert "genehmigte Wandgestaltung" in latest
            assert "Das Bild hat das Jugendhaus mit der Stadt gestaltet." in latest
            assert "Jugendamt" not in phone.content()
            phone.get_by_role("link", name="EN", exact=True).click()
            assert "This is a permitted mural" in phone.locator(".city-message.latest").inner_text()
        finally:
            citizen.close()
    finally:
        ctx.close()
