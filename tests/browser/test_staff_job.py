"""The job page on a crew's phone (390 px): no horizontal scroll, the map with the building, the pin and the open
jobs nearby, the action panel in reach."""
import re

from tests.browser.conftest import login


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390"


def test_job_page_fits_a_phone_and_maps_the_job(browser, live_server, request):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="de-DE", service_workers="block")
    page = ctx.new_page()
    request.node._page = page
    try:
        login(page, live_server, "staff")
        page.wait_for_url(re.compile(r"/staff/$"))
        rows = page.locator("table.queue tbody tr[data-job]")
        for owner in ("municipal", "public"):  # a crew job: it can be scheduled below
            page.goto(f"{live_server.url}/staff/queue?status=new&owner_type={owner}")
            if rows.count():
                break
        job = rows.first.get_attribute("data-job")
        for lang in ("de", "en"):
            page.goto(f"{live_server.url}/staff/jobs/{job}?lang={lang}")
            page.wait_for_selector("#job-map[data-loaded]")
            assert page.locator("#job-map .job-position").count() == 1
            assert page.locator("#job-map .job-footprint").count() == 1
            assert page.locator("#job-map .nearby-job").count() >= 1   # the demo city's jobs lie close together
            _no_horizontal_scroll(page)
            assert page.locator("#status-form button[data-to=verified]").is_visible()
        assert page.locator("#actions-title").inner_text() == "Next step"

        # a scheduled job shows the removal form (camera for the after-photo) first; still no horizontal scroll
        page.locator("#status-form button[data-to=verified]").click()
        page.locator("#status-form button[data-to=scheduled]").click()
        page.wait_for_selector("#removal-form")
        _no_horizontal_scroll(page)
        assert page.locator("#removal-form").bounding_box()["y"] < page.locator("#status-form").bounding_box()["y"]
        assert page.locator("#removal-form input[name=photo]").get_attribute("capture") == "environment"
    finally:
        ctx.close()
