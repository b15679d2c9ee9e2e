"""Documents files (JSON lines) and passages built from them without the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterradar.errors import InputError
from clusterradar.pipeline.documents import read_documents
from clusterradar.pipeline.lexicon import LexiconMatcher
from clusterradar.pipeline.nlp import load_nlp
from clusterradar.pipeline.store import page_kind_from_url, passages_from_documents

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**record) -> str:
    return json.dumps(record, ensure_ascii=False)


def test_reads_text_and_html_documents_skipping_blank_and_comment_lines(tmp_path):
    path = _write(
        tmp_path,
        "# collected 2026-11-20",
        _line(cluster="cst-sued", url="https://cst-sued.example/", text="Die Bundeswehr."),
        "",
        _line(cluster="https://food.example/", url="https://food.example/a", html="<p>Brot</p>"),
    )
    first, second = read_documents(path)
    assert (first.cluster, first.text, first.html, first.line) == (
        "cst-sued",
        "Die Bundeswehr.",
        None,
        2,
    )
    assert (second.cluster, second.html, second.line) == ("https://food.example/", "<p>Brot</p>", 4)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"cluster": "a", "text": "x"', "docs.jsonl:2: invalid JSON"),
        (_line(url="https://a.example/", text="Text"), "docs.jsonl:2: missing 'cluster'"),
        (
            _line(cluster="a", text="Text", html="<p>Text</p>"),
            "docs.jsonl:2: give either 'text' or 'html'",
        ),
        (_line(cluster="a", url="https://a.example/"), "docs.jsonl:2: missing 'text' (or 'html')"),
        (_line(cluster="a", text="   "), "docs.jsonl:2: empty text"),
        (_line(cluster="a", txt="Text"), "docs.jsonl:2: unknown key(s) txt"),
        ('["a", "b"]', "docs.jsonl:2: each line must be a JSON object"),
        (_line(cluster="a", text=42), "docs.jsonl:2: 'text' must be a string"),
    ],
)
def test_bad_lines_are_reported_with_file_and_line(tmp_path, line, message):
    path = _write(tmp_path, _line(cluster="ok", text="Gültige Zeile."), line)
    with pytest.raises(InputError) as error:
        read_documents(path)
    assert message in str(error.value)


def test_missing_and_empty_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_documents(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no documents"):
        read_documents(_write(tmp_path, "", "# nothing"))


def test_passages_from_documents_use_extraction_boilerplate_and_lexicon(tmp_path):
    lines = [_line(cluster="food", url=f"https://food.example/{p.stem}", html=p.read_text("utf-8"))
             for p in sorted((FIXTURES / "site_food").glob("*.html"))]  # fmt: skip
    lines.append(
        _line(
            cluster="cst-sued",
            url="https://cst-sued.example/ueber-uns/",
            text="Wir arbeiten mit der Bundeswehr. Die Rüstungsindustrie wächst.\nKontakt",
        )
    )
    nlp = load_nlp()
    result = passages_from_documents(
        read_documents(_write(tmp_path, *lines)), nlp, LexiconMatcher(nlp)
    )
    assert set(result) == {"food", "cst-sued"}
    food_text = " ".join(p.text for p in result["food"])
    assert "Lebensmittelsicherheit" in food_text
    assert "Gefördert durch" not in food_text  # site boilerplate across the cluster's pages
    assert all(p.lexicon_score < 0.5 for p in result["food"])
    (svi,) = result["cst-sued"]
    assert svi.lexicon_terms == ["Bundeswehr", "Rüstung"]
    assert svi.lexicon_score == 2.0
    assert svi.page_kind == "about" and svi.snapshot_id is None and svi.language == "de"
    assert len({p.passage_hash for p in result["food"]}) == len(result["food"])


def test_passages_from_documents_can_carry_embeddings(tmp_path):
    from clusterradar.pipeline.embed import get_embedder

    path = _write(tmp_path, _line(cluster="a", text="Drohnenabwehr für Flughäfen."))
    nlp = load_nlp()
    result = passages_from_documents(
        read_documents(path), nlp, LexiconMatcher(nlp), embedder=get_embedder("use")
    )
    (passage,) = result["a"]
    assert passage.embedding is not None and passage.embedding.shape == (512,)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://c.example/", "home"),
        ("https://c.example/ueber-uns/", "about"),
        ("https://c.example/mitglieder/liste.html", "members"),
        ("https://c.example/aktuelles/2026/tagung", "news"),
        ("https://c.example/impressum", "other"),
        (None, None),
    ],
)
def test_page_kind_is_guessed_from_the_url(url, kind):
    assert page_kind_from_url(url) == kind
