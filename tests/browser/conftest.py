"""Browser fixtures: Debian's headless Chromium driven by Selenium, and the app served on a real port.

Selenium is pointed at /usr/bin/chromium and /usr/bin/chromedriver (`.ci/run` installs both when
they are missing) and must never fetch a browser or a driver: the service path is explicit and
Selenium Manager, which would download them, is replaced by a program that always fails.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import WSGIRequestHandler, make_server

from service.app import close_app, create_app
from service.storage import migrate

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SECRET_KEY = "browser-test-secret-key-0123456789"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the test output is for failures
        pass


@pytest.fixture(scope="session")
def browser_downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def chrome(browser_downloads) -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the session; each test starts from a clean cookie jar."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert path.exists(), f"{path} is missing: apt-get install chromium chromium-driver (.ci/run does)"
    os.environ["SE_MANAGER_PATH"] = "/bin/false"  # never download a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--lang=en-GB"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(browser_downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chrome) -> webdriver.Chrome:
    chrome.delete_all_cookies()
    return chrome


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., tuple[str, object]]]:
    """serve(**config) -> (base URL, app): the app on 127.0.0.1 on a free port, with its own SQLite file."""
    servers = []

    def start(**config) -> tuple[str, object]:
        url = config.pop("DATABASE_URL", None) or f"sqlite:///{tmp_path / f'browser{len(servers)}.sqlite3'}"
        migrate.upgrade(url)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"  # the OAuth callback is built from TACT_PUBLIC_URL
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
                          "TACT_PUBLIC_URL": base, **config})
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=server.serve_forever, name="tact-browser-test", daemon=True).start()
        servers.append((server, app))
        return base, app

    yield start
    for server, app in servers:
        server.shutdown()
        close_app(app)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def screenshot() -> Callable[..., Path]:
    return save_screenshot


def save_screenshot(driver: webdriver.Chrome, name: str, *, max_height: int = 2400) -> Path:
    """Save docs/screenshots/NAME.png (the README shows them): the page from its top, up to max_height pixels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), max_height)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
