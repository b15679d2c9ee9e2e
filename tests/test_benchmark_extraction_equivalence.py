"""The before/after check of the extraction step (issue 17): equal outputs pass, any changed
field of any page fails and is named."""

from __future__ import annotations

import json

from benchmarks.extraction_equivalence import main


def test_equivalence_check_passes_on_equal_output_and_names_a_changed_page(tmp_path, capsys):
    stored = tmp_path / "before.json"
    assert main(["--write", str(stored), "--clusters", "1", "--pages", "3"]) == 0
    pages = json.loads(stored.read_text("utf-8"))
    assert any(key.startswith("web/") for key in pages)
    assert any(key.startswith("fixtures/") for key in pages)
    assert main(["--compare", str(stored), "--clusters", "1", "--pages", "3"]) == 0

    changed = next(key for key, page in pages.items() if page[0])
    pages[changed][3] = "xx"  # the language of one page
    stored.write_text(json.dumps(pages), "utf-8")
    capsys.readouterr()
    assert main(["--compare", str(stored), "--clusters", "1", "--pages", "3"]) == 1
    assert changed in capsys.readouterr().out


def test_equivalence_check_without_a_stored_file_says_so_and_exits_2(tmp_path, capsys):
    try:
        main(["--compare", str(tmp_path / "missing.json")])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:
        raise AssertionError("no exit")
    assert "write it with --write first" in capsys.readouterr().err
