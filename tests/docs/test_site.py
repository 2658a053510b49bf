"""The built site: offline, all 14 lectures with their figures, and (in headless
Chromium) pages that load without console errors, images that display, links
that resolve and a search that finds conv2d. Screenshots go to docs/_build/screenshots."""

import functools
import http.server
import re
import shutil
import threading
import urllib.request
from urllib.parse import urljoin, urlparse

import pytest
from offline_check import remote_assets

from tests.docs.conftest import DOCS, ROOT

LECTURES = sorted(p.stem for p in (ROOT / "lectures").glob("[a-z]*.py"))
SCREENSHOTS = DOCS / "_build" / "screenshots"
PAGES = {"front": "index.html", "gallery": "lectures/activation_statistics.html",
         "gallery_index": "lectures/index.html", "api": "api/functional.html",
         "engine": "reading_the_engine.html"}


def test_the_site_loads_nothing_from_the_network(built_site):
    assert remote_assets(built_site) == []


def test_remote_assets_are_caught(tmp_path):
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<script src="//cdn.example/x.js"></script><a href="https://example.org">ok</a>')
    (tmp_path / "style.css").write_text("@font-face { src: url(https://fonts.example/f.woff2) }")
    found = sorted(url for _, url in remote_assets(tmp_path))
    assert found == ["//cdn.example/x.js", "https://cdn.example/x.css",
                     "https://fonts.example/f.woff2"]


def test_the_gallery_shows_every_lecture_with_its_figures(built_site):
    assert len(LECTURES) == 14
    index = (built_site / "lectures" / "index.html").read_text(encoding="utf-8")
    for name in LECTURES:
        assert f'href="{name}.html"' in index, name
        page = (built_site / "lectures" / f"{name}.html").read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
        assert images, f"{name}: no figure on its page"
        for src in images:
            assert (built_site / "lectures" / src).stat().st_size > 1000, (name, src)
        assert f"{name}.ipynb" in page and f"{name}.py" in page, f"{name}: no downloads"
        assert "sphx-glr-script-out" in page, f"{name}: its printed output is missing"


# ------------------------------------------------------------------ in a real browser
def _chromium():
    for browser in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(browser):
            return shutil.which(browser)
    return None


@pytest.fixture(scope="module")
def site_url(built_site):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the docs extra)")
    chromium, driver_path = _chromium(), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("chromium and chromedriver are not installed (.ci/install-browser.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _console_errors(driver):
    """SEVERE console entries, except the browser's own request for /favicon.ico (a
    page never asks for it; Chromium does, at the server's root)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and "/favicon.ico" not in entry["message"]]


def _internal_links(driver, base):
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.href)")
    return sorted({href.split("#")[0] for href in hrefs
                   if urlparse(href).netloc == urlparse(base).netloc})


@pytest.mark.browser
@pytest.mark.parametrize("label", PAGES)
def test_page_in_chromium(browser, site_url, label):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = urljoin(site_url, PAGES[label])
    browser.get(url)
    browser.execute_script("return document.readyState")
    assert browser.title, url
    assert _console_errors(browser) == []
    images = browser.execute_script(
        "return Array.from(document.images, i => [i.src, i.complete, i.naturalWidth])")
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert broken == [], f"{label}: images that did not display: {broken}"
    if label == "gallery":
        figures = browser.execute_script(
            "return Array.from(document.querySelectorAll('img.sphx-glr-single-img,"
            " img.sphx-glr-multi-img'), i => i.naturalWidth)")
        assert len(figures) >= 3 and min(figures) > 0, figures
    dead = []
    for link in _internal_links(browser, site_url):
        try:
            with urllib.request.urlopen(link, timeout=10) as response:
                ok = response.status == 200
        except OSError:
            ok = False
        if not ok:
            dead.append(link)
    assert dead == [], f"{label}: links within the site that do not resolve: {dead}"
    browser.save_screenshot(str(SCREENSHOTS / f"{label}.png"))


@pytest.mark.browser
def test_search_finds_conv2d(browser, site_url):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(urljoin(site_url, "search.html?q=conv2d"))

    def results(driver):
        return driver.execute_script(
            "return Array.from(document.querySelectorAll('#search-results li a'),"
            " a => a.textContent + ' ' + a.href)")

    found = WebDriverWait(browser, 30).until(results)
    assert any("conv2d" in hit for hit in found), found
    assert _console_errors(browser) == []
    browser.save_screenshot(str(SCREENSHOTS / "search.png"))
