"""The HTML leaderboard in a real browser: sorting, the modality filter, and no injected script.

Drives Debian's headless chromium through /usr/bin/chromedriver (selenium). Skipped, with the
reason, only when they are not installed (`make test` installs them).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from fmbench.leaderboard import build, write_site
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.plugin_system.registry import build_registry
from fmbench.results.eval_file import with_digest

CHROMEDRIVER = "/usr/bin/chromedriver"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


pytestmark = pytest.mark.skipif(
    _chromium() is None or not Path(CHROMEDRIVER).exists(),
    reason="chromium and chromium-driver are not installed (make test installs them: "
    "apt-get install chromium chromium-driver)",
)


@pytest.fixture
def page(tmp_path):
    evals = tmp_path / "evals"
    for model, value in (("model-a", 0.71), ("model-b", 0.93), ("model-c", 0.82)):
        write_synthetic(evals / f"{model}.yaml", synthetic_eval(model, value))
    write_synthetic(
        evals / "mse.yaml",
        synthetic_eval("model-r", 2.0, benchmark_id="BM-REG", primary="MSE", direction="lower"),
    )
    write_synthetic(evals / "elsewhere.yaml", synthetic_eval("model-e", 0.9, dataset_id=HOSTILE))
    hostile = synthetic_eval(
        "model-h",
        0.6,
        overrides={
            "provenance": {"fmbench_version": "<script>window.__pwned=3</script>", "seed": 1}
        },
    )
    hostile["model"]["notes"] = HOSTILE
    hostile["benchmarks"][0]["stratified"] = {HOSTILE: {HOSTILE: {"AUROC": 0.5, "N": 10}}}
    write_synthetic(evals / "hostile.yaml", with_digest(hostile))
    rejected = synthetic_eval("x", 0.6, overrides={"model_ids": {"candidate": HOSTILE}})
    write_synthetic(evals / "rejected.yaml", rejected)
    board = build([str(evals)], build_registry(external=False))
    write_site(board, tmp_path / "site")
    return tmp_path / "site" / "index.html"


@pytest.fixture
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()
    profile = tempfile.mkdtemp(prefix="fmbench-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _models(driver, benchmark: str) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f'table[data-benchmark="{benchmark}"] tbody tr')
    return [row.find_elements(By.TAG_NAME, "td")[3].text.split(" ")[0] for row in rows]


def test_sort_filter_and_no_injected_script(driver, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(page.as_uri())
    assert driver.title == "fmbench leaderboard"
    assert _models(driver, "BM-TOY-CLASS") == ["model-b", "model-c", "model-a", "model-h"]

    # sort by the AUROC column: ascending, then descending
    table = driver.find_element(By.CSS_SELECTOR, 'table[data-benchmark="BM-TOY-CLASS"]')
    auroc = table.find_elements(By.CSS_SELECTOR, "th button")[4]
    auroc.click()
    assert _models(driver, "BM-TOY-CLASS") == ["model-h", "model-a", "model-c", "model-b"]
    assert auroc.find_element(By.XPATH, "..").get_attribute("aria-sort") == "ascending"
    auroc.click()
    assert _models(driver, "BM-TOY-CLASS") == ["model-b", "model-c", "model-a", "model-h"]
    # sort by model name (text)
    table.find_elements(By.CSS_SELECTOR, "th button")[3].click()
    assert _models(driver, "BM-TOY-CLASS") == ["model-a", "model-b", "model-c", "model-h"]

    # filter by modality: only the chosen group stays visible
    sections = driver.find_elements(By.CSS_SELECTOR, "section.group")
    assert {s.get_attribute("data-group") for s in sections} == {
        "Neurology / fmri",
        "other / other",
    }
    select = Select(driver.find_element(By.ID, "modality-filter"))
    select.select_by_value("other / other")
    visible = [s.get_attribute("data-group") for s in sections if s.is_displayed()]
    assert visible == ["other / other"]
    assert driver.find_element(By.CSS_SELECTOR, 'table[data-benchmark="BM-REG"]').is_displayed()
    select.select_by_value("")
    assert all(s.is_displayed() for s in sections)

    # the hostile strings are on the page as text, and none of them ran
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "<script>window.__pwned = 1</script>" in body
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.find_elements(By.CSS_SELECTOR, "body script, body img") == []
