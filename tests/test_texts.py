"""One text catalogue (clusterradar/texts.py): German and English hold the same keys with the
same fields, the templates use no key outside it, and the setting ``ui.language`` switches the
review app, the quarterly report and the evidence reasons."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clusterradar import texts
from clusterradar.models.classify import carried_forward_note
from clusterradar.pipeline.store import earlier_crawl_note
from clusterradar.quarterly.report import write_report
from clusterradar.review.app import create_app
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.quarters import record_stage_event, start_attempt
from tests.test_quarterly_report import Q4, fill_two_quarters
from tests.test_review_seed import seed_warehouse, settings_for
from tests.test_review_web import login

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [
    *sorted((ROOT / "review" / "templates").glob("*.html")),
    *sorted((ROOT / "quarterly" / "templates").glob("report.*")),
]
SOURCES = [
    *ROOT.glob("review/**/*.py"),
    *ROOT.glob("quarterly/*.py"),
    *ROOT.glob("models/*.py"),
    ROOT / "pipeline" / "store.py",
]


@pytest.fixture(autouse=True)
def german_afterwards():
    """The language is per process: every test here leaves it German, as it found it."""
    yield
    texts.use_language("de")


def test_every_text_exists_in_german_and_english_with_the_same_fields():
    assert set(texts.DE) == set(texts.EN)
    differing = [
        key for key in texts.DE if texts.fields_of(texts.DE[key]) != texts.fields_of(texts.EN[key])
    ]
    assert differing == []
    assert all(value.strip() for value in [*texts.DE.values(), *texts.EN.values()])


def test_templates_and_code_use_only_keys_and_groups_of_the_catalogue():
    used = {
        (path.name, key)
        for path in TEMPLATES
        for key in re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text(encoding="utf-8"))
    }
    assert len(used) > 200, "the templates take their texts from the catalogue"
    used |= {
        (path.name, key)
        for path in SOURCES
        for key in re.findall(r"""\b(?:text|t)\(\s*["']([\w.]+)["']""", path.read_text("utf-8"))
    }
    assert {"evidence.similarity", "chart.n_of_m", "error.no_cluster"} <= {k for _, k in used}
    assert sorted((name, key) for name, key in used if key not in texts.DE) == []
    groups = {
        group
        for path in [*TEMPLATES, *SOURCES]
        for group in re.findall(
            r"""\b(?:names|Names)\(\s*["'](\w+)["']""", path.read_text(encoding="utf-8")
        )
    }
    assert {"stage", "status", "reason", "state", "message", "page_kind"} <= groups
    assert sorted(g for g in groups if not texts.names(g, "de") or not texts.names(g, "en")) == []


def test_ui_language_is_a_setting_and_an_unknown_one_is_a_one_line_error(cli):
    result = cli("config", "show", env={"CLUSTERRADAR_UI_LANGUAGE": "en"})
    assert result.exit_code == 0 and '[ui]\nlanguage = "en"' in result.stdout
    result = cli("config", "show", env={"CLUSTERRADAR_UI_LANGUAGE": "fr"})
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: setting ui.language = 'fr' is not available (use one of de, en)"
    )


def _client(db: Path, language: str) -> TestClient:
    settings = settings_for(db)
    settings.ui.language = language
    client = TestClient(create_app(settings), follow_redirects=False)
    assert login(client).status_code == 303
    return client


def _queue_page(db: Path, language: str) -> str:
    page = _client(db, language).get("/")
    assert page.status_code == 200
    return page.text


def test_the_queue_page_renders_in_english_with_the_taxonomy_s_english_labels(db_path):
    seed_warehouse(db_path)
    english = _queue_page(db_path, "en")
    assert '<html lang="en">' in english
    assert "<h1>Open suggestions</h1>" in english and ">Filter</button>" in english
    assert "Primarily security-oriented" in english  # label_en of the suggested category
    assert "differs" in english and "signed in as" in english
    for german in ("Offene Vorschläge", "Warteschlange", "angemeldet als", "weicht ab"):
        assert german not in english
    german_page = _queue_page(db_path, "de")
    assert '<html lang="de">' in german_page and "<h1>Offene Vorschläge</h1>" in german_page
    assert "Primär sicherheitsorientiert" in german_page and "weicht ab" in german_page


def test_the_report_names_stages_and_statuses_in_the_chosen_language(db_path, tmp_path):
    db = fill_two_quarters(db_path)
    with connect(db) as con, transaction(con):
        attempt = start_attempt(con, str(Q4), {})
        for stage in ("sites", "classify"):
            record_stage_event(
                con, attempt_id=attempt, quarter=str(Q4), stage=stage, status="done", stats={}
            )

    def stage_rows(language: str) -> list[list[str]]:
        files = write_report(db, Q4, tmp_path / language, language=language)
        html = files.html.read_text(encoding="utf-8")
        table = html.split('id="stages"')[1].split("</table>")[0]
        return [re.findall(r"<td[^>]*>([^<]*)</td>", row)[:2] for row in table.split("<tr>")[2:]]

    assert stage_rows("en") == [["website crawl", "done"], ["classification", "done"]]
    assert stage_rows("de") == [["Website-Crawl", "fertig"], ["Klassifikation", "fertig"]]
    english = (tmp_path / "en" / "report-2026Q4.md").read_text(encoding="utf-8")
    assert english.startswith("# Clusterradar – quarterly report 2026Q4")
    assert "## Classifications and suggestions that changed" in english
    assert "Quartalsbericht" not in english and "Einstufung" not in english


def test_evidence_notes_come_from_the_catalogue_in_the_chosen_language():
    down = (dt.datetime(2026, 8, 1), dt.datetime(2026, 11, 1), "http_error")
    assert earlier_crawl_note(*down) == (
        "aus dem Crawl vom 2026-08-01; Website nicht erreichbar seit 2026-11-01 (http_error)"
    )
    assert carried_forward_note("2026Q3") == (
        "Website nicht erreichbar; Vorschlag aus Quartal 2026Q3 übernommen"
    )
    texts.use_language("en")
    assert earlier_crawl_note(*down) == (
        "from crawl of 2026-08-01; site unreachable since 2026-11-01 (http_error)"
    )
    assert carried_forward_note(None) == (
        "website unreachable; suggestion carried forward from an earlier run"
    )
    assert texts.text("evidence.similarity", similarity=0.14, label="Tourismus") == (
        "similarity 0.14 to “Tourismus”"
    )


def test_error_pages_speak_the_app_s_language(db_path):
    seed_warehouse(db_path)
    english = _client(db_path, "en")  # one language per process: this app's, until the next
    page = english.get("/", params={"dimension": "bogus"})
    assert page.status_code == 400 and "Unknown dimension &#39;bogus&#39;" in page.text
    assert "That did not work" in page.text and "Reset filters" in page.text
    assert "Unknown label &#39;nope&#39; in the taxonomy." in english.get("/?label=nope").text
    assert "This page does not exist." in english.get("/nowhere").text
    assert "No cluster &#39;nowhere&#39;." in english.get("/clusters/nowhere").text
    german = _client(db_path, "de")
    page = german.get("/", params={"dimension": "bogus"})
    assert "Unbekannte Dimension &#39;bogus&#39;" in page.text and "Das ging nicht" in page.text
    assert "Kein Cluster &#39;nowhere&#39;." in german.get("/clusters/nowhere").text
