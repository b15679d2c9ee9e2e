"""End to end in a real headless Chromium: log in, accept one suggestion with the keyboard,
override another, then check the cluster's history page and the CSV export.

With CLUSTERRADAR_SCREENSHOTS=1 it also saves docs/screenshots/review-queue.png and
docs/screenshots/review-cluster.png (the pictures on docs/review.md).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import serving
from tests.test_review_seed import PASSWORD, seed_warehouse, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture
def server(db_path):
    """The review app under uvicorn in a thread on a free loopback port."""
    from clusterradar.review.app import create_app

    seeded = seed_warehouse(db_path)
    with serving(create_app(settings_for(db_path))) as url:
        yield url, seeded


@pytest.fixture
def browser(tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip("needs Debian's chromium and chromium-driver (make browser)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def screenshot(driver, name: str) -> None:
    if os.environ.get("CLUSTERRADAR_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(max(height + 160, 700), 2400))
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(SCREENSHOTS / name))
        driver.set_window_size(1280, 900)


def wait_for(driver, predicate, timeout: float = 10):
    """Poll until `predicate` holds; elements replaced by a navigation in between are retried."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (StaleElementReferenceException, NoSuchElementException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(lambda d: predicate(d))


def test_reviewer_logs_in_accepts_and_overrides_and_sees_history_and_export(
    server, browser, cli, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, seeded = server
    accepted = seeded.sid("cyberforum/intensity/primarily_security")
    browser.get(base + "/")
    wait_for(browser, lambda d: "/login" in d.current_url)
    browser.find_element(By.ID, "username").send_keys("anna")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "queue"))
    assert browser.find_element(By.ID, "pending-count").text == "5"
    screenshot(browser, "review-queue.png")

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("n")  # keyboard: open the first queue item
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-focus]"))
    focus = browser.find_element(By.CSS_SELECTOR, "[data-focus]")
    assert focus.get_attribute("id") == f"s-{accepted}"
    # hostile crawled text is shown as text, never run
    assert "<script>alert(1)</script>" in focus.text
    screenshot(browser, "review-cluster.png")
    browser.find_element(By.TAG_NAME, "body").send_keys("a")  # keyboard: accept
    wait_for(browser, lambda d: d.find_elements(By.ID, "message"))
    assert "angenommen" in browser.find_element(By.ID, "message").text
    # the app went on to the next queue item: photonics-bw, which we override
    focus = browser.find_element(By.CSS_SELECTOR, "[data-focus]")
    assert "photonics-bw" in browser.current_url
    focus.find_element(By.CSS_SELECTOR, "details.override summary").click()
    Select(focus.find_element(By.CSS_SELECTOR, "select.override-label")).select_by_value(
        "balanced_dual_use"
    )
    focus.find_element(By.CSS_SELECTOR, "form.override-form input.comment").send_keys("Dual-Use")
    focus.find_element(By.CSS_SELECTOR, "button.override-submit").click()
    wait_for(browser, lambda d: "überschrieben" in d.find_element(By.ID, "message").text)

    browser.get(base + "/clusters/cyberforum/history")
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#versions tbody tr")]
    assert len(rows) == 2
    assert "Gleichgewichtige Dual-Use-Technologien" in rows[0] and "Papier" in rows[0]
    assert "Primär sicherheitsorientiert" in rows[1] and "Review" in rows[1] and "anna" in rows[1]
    browser.get(base + "/clusters/photonics-bw/history")
    decisions = browser.find_element(By.ID, "decisions").text
    assert "überschrieben" in decisions and "Dual-Use" in decisions

    out = tmp_path / "export"
    result = cli("--db", seeded.db, "export", "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    (csv_file,) = out.glob("*.csv")
    with csv_file.open(encoding="utf-8", newline="") as handle:
        exported = {(r["cluster_id"], r["dimension"]): r for r in csv.DictReader(handle)}
    assert exported[("cyberforum", "intensity")]["label_key"] == "primarily_security"
    assert exported[("cyberforum", "intensity")]["source"] == "review"
    assert exported[("cyberforum", "intensity")]["decided_by"] == "anna"
    assert exported[("photonics-bw", "intensity")]["label_key"] == "balanced_dual_use"
    assert exported[("aviaspace", "intensity")]["source"] == "paper"


def test_reviewer_skips_decides_and_goes_on_in_the_queue_then_an_admin_bulk_accepts(
    server, browser
):
    from selenium.webdriver.common.by import By

    base, seeded = server
    browser.get(base + "/")
    wait_for(browser, lambda d: "/login" in d.current_url)
    browser.find_element(By.ID, "username").send_keys("anna")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "queue"))
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    wait_for(browser, lambda d: "/clusters/cyberforum" in d.current_url)
    browser.find_element(By.ID, "skip-link").click()  # skip the first item ...
    wait_for(browser, lambda d: "/clusters/photonics-bw" in d.current_url)
    assert "CyberForum e. V.: „" in browser.find_element(By.ID, "message").text
    browser.find_element(By.TAG_NAME, "body").send_keys("a")  # ... and accept the second
    # the queue goes on after photonics-bw, not back to the skipped first item
    wait_for(browser, lambda d: "/clusters/newco" in d.current_url)
    message = browser.find_element(By.ID, "message")
    assert message.text.startswith("Photonics BW e. V.: Vorschlag") and "angenommen" in message.text
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", message)
    assert message.is_displayed() and 0 <= top < 900  # visible although the focus scrolled

    browser.get(base + "/")
    wait_for(browser, lambda d: d.find_elements(By.ID, "bulk-form"))
    for cluster in ("newco", "aviaspace"):
        row = browser.find_element(
            By.CSS_SELECTOR, f'tr[data-suggestion="{seeded.sid(_rank1[cluster])}"]'
        )
        row.find_element(By.CSS_SELECTOR, "input.bulk-select").click()
    browser.find_element(By.ID, "bulk-accept").click()
    wait_for(browser, lambda d: "2 Vorschläge angenommen" in d.find_element(By.ID, "message").text)
    remaining = [
        a.get_attribute("href").split("/clusters/")[1].split("?")[0]
        for a in browser.find_elements(By.CSS_SELECTOR, "a.open-item")
    ]
    assert remaining == ["cyberforum", "cyberforum"]  # the skipped intensity item, svi_domains
    browser.get(base + "/clusters/newco/history")
    assert "angenommen" in browser.find_element(By.ID, "decisions").text


_rank1 = {
    "newco": "newco/intensity/civil_base_technology",
    "aviaspace": "aviaspace/intensity/balanced_dual_use",
}
