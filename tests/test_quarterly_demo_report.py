"""The demo's main story is visible in its report: the textile network's move from "no SVI
relevance" to level 4 is a row of the changed section, and the report's open count is the
queue's (the whole demo, real crawler, pipeline and classifier on loopback)."""

from __future__ import annotations

import json
import re

import pytest


@pytest.mark.slow
def test_demo_report_shows_the_textile_network_moving_to_level_four(tmp_path, cli):
    from clusterradar.demo.story import run_demo

    result = run_demo(tmp_path / "demo", progress=False, say=lambda _: None)
    later = result.quarters[1]
    html = (tmp_path / "demo" / "reports" / f"report-{later}.html").read_text(encoding="utf-8")
    changed = html.split('id="changed"')[1].split("</table>")[0]
    rows = changed.split("<tr data-cluster=")[1:]
    textile = next(row for row in rows if "<td>Textilnetzwerk Vogtland<" in row)
    assert re.search(
        r"Intensität \(Vorschlag\): Keine SVI-Relevanz erkennbar → "
        r"<b>Primär zivil, aber sicherheitsrelevant</b>",
        textile,
    )
    assert "Bundeswehr" in textile and 'href="/clusters/' in textile
    # Reported open items = the queue's pending items for that quarter.
    listed = cli("--db", result.db, "review", "list", "--quarter", later, "--json")
    assert listed.exit_code == 0, listed.output
    open_count = int(re.search(r'id="review-open">(\d+)<', html).group(1))
    assert open_count == json.loads(listed.stdout)["pending"]
