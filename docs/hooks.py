"""MkDocs hook: list every decision record in the navigation without editing mkdocs.yml.

Decision records (docs/decisions/NNNN-*.md) are added over time and never edited; each new one
appears under "Decision records" in number order, titled by its first heading.
"""

from __future__ import annotations

from pathlib import Path

SECTION = "Decision records"


def on_config(config):
    records = sorted(Path(config["docs_dir"], "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    for entry in config["nav"] or []:
        if isinstance(entry, dict) and SECTION in entry:
            listed = [item for item in entry[SECTION] if not _is_record(item)]
            entry[SECTION] = listed + [f"decisions/{path.name}" for path in records]
    return config


def _is_record(item) -> bool:
    name = item if isinstance(item, str) else next(iter(item.values()), "")
    return isinstance(name, str) and Path(name).name[:4].isdigit()
