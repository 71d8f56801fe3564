"""Browser tests: gunicorn on a free port over a seeded database, driven by Playwright in Debian's Chromium.

- The server runs the real production stack (gunicorn, wsgi:app) on a scratch database seeded with the
  demo city, so the unit tests' database stays clean.
- Chromium is Debian's (/usr/bin/chromium), never a browser downloaded by a test tool, started headless
  with a fresh profile.
- Each test saves a screenshot under test-output/screenshots/ when it fails, and always when SCREENSHOTS=1.
"""
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
INSIDE_HEILBRONN = {"latitude": 49.1418, "longitude": 9.2185}   # Marktplatz
OUTSIDE_HEILBRONN = {"latitude": 49.1920, "longitude": 9.2255}  # Neckarsulm
E2E_PASSWORD = "e2e-password-123"
E2E_USERS = {"staff": "e2e-staff@example.org", "police": "e2e-police@example.org", "admin": "e2e-admin@example.org"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_database_url(scratch_database):
    """A scratch database, migrated, with the city synced, the demo city seeded and one user per role."""
    url = scratch_database()
    application = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
        from app.services.core.accounts import create_user
        from app.services.core.demo import seed_demo

        seed_demo(n_reports=int(os.environ.get("E2E_REPORTS", "3000")), seed=20261126)
        for role, email in E2E_USERS.items():
            create_user(email, E2E_PASSWORD, role)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def live_server(e2e_database_url, tmp_path_factory):
    """The service under gunicorn on a free localhost port; yields an object with .url and .env."""
    var = tmp_path_factory.mktemp("e2e-var")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": e2e_database_url, "SECRET_KEY": "e2e-secret", "VAR_DIR": str(var),
           "UPLOAD_DIR": str(var / "uploads"), "MAIL_OUTBOX_DIR": str(var / "outbox"),
           # Behind a (pretend) proxy: a test that sends X-Forwarded-For with a public address is limited to one
           # report per hour and worker; every other test comes from loopback and is not limited.
           "PROXY_HOPS": "1", "REPORT_RATE_LIMIT": "1/hour",
           # three crews' depots for the planning page (the first one is every single crew's default)
           "DEPOTS": "Bauhof Nord=49.1600,9.2150;Bauhof Süd=49.1250,9.2200;Bauhof West=49.1427,9.1900"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(var / "gunicorn.log", "w")
    proc = subprocess.Popen([str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    # Another test session (on this machine) may take the port between _free_port and gunicorn's bind; then
    # our gunicorn retries while the other server answers /healthz. Only our own "Listening at" counts.
    listening = f"Listening at: {url} ({proc.pid})"
    while True:
        try:
            if listening in (var / "gunicorn.log").read_text():
                with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            log.close()
            raise RuntimeError("gunicorn did not start:\n" + (var / "gunicorn.log").read_text()[-3000:])
        time.sleep(0.3)

    class Server:
        pass

    server = Server()
    server.url, server.env, server.var, server.database_url = url, env, var, e2e_database_url
    yield server
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's Chromium, headless, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser, request):
    """A phone-sized context (390x844, touch) with geolocation granted inside the city; yields a page."""
    where = getattr(request, "param", INSIDE_HEILBRONN)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, geolocation=where, permissions=["geolocation"], locale="de-DE")
    page = ctx.new_page()
    request.node._page = page
    yield page
    ctx.close()


@pytest.fixture
def desktop(browser, request):
    """A desktop-sized context; yields a page."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
    page = ctx.new_page()
    request.node._page = page
    yield page
    ctx.close()


def connect_db(server):
    """A psycopg connection to the live server's database, for checking what the browser stored."""
    import psycopg
    from sqlalchemy.engine import make_url

    return psycopg.connect(make_url(server.database_url).set(drivername="postgresql")
                           .render_as_string(hide_password=False))


def jpeg(color=(40, 90, 160), size=(640, 480)) -> bytes:
    """A plain JPEG photo of one colour."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def login(page, server, role: str):
    """Log in through the real form as the e2e user of `role`."""
    page.goto(server.url + "/login")
    page.fill("input[name=email]", E2E_USERS[role])
    page.fill("input[name=password]", E2E_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def record_removal(page, crew: str, method: str, area: str, cost: str, photo_path) -> None:
    """Fill and send the job page's removal form (with an after-photo) and wait for the stored photo."""
    form = page.locator("#removal-form")
    form.locator("input[name=crew]").fill(crew)
    form.locator("select[name=method]").select_option(method)
    form.locator("input[name=area_m2]").fill(area)
    form.locator("input[name=cost_eur]").fill(cost)
    form.locator("input[name=photo]").set_input_files(str(photo_path))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("img.after-photo")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call":
        return
    page = getattr(item, "_page", None)
    if page is None or page.is_closed():
        return
    if rep.failed or os.environ.get("SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        name = item.nodeid.split("::", 1)[-1].replace("/", "_").replace("[", "_").replace("]", "")
        try:
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a screenshot must never hide the test's own result
            print(f"screenshot failed: {exc}")
