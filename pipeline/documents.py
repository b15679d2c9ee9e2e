"""Documents files: cluster text given as JSON lines instead of crawled pages.

Analysts use them to predict or evaluate on text collected outside the crawler (a fresh manual
crawl, a PDF converted to text). Each line is one page::

    {"cluster": "<cluster id or website URL>", "url": "https://...", "text": "..."}
    {"cluster": "...", "url": "...", "html": "<html>...</html>"}

Errors name the file and line, because these files are written by hand or by ad-hoc scripts.
Resolving ``cluster`` to a known cluster is the caller's job (ids or websites via
:func:`clusterradar.urls.match_website`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from clusterradar.errors import InputError

__all__ = ["Document", "read_documents"]

_KNOWN_KEYS = {"cluster", "url", "text", "html", "page_kind", "title", "language"}


@dataclass(slots=True, frozen=True)
class Document:
    """One page of a documents file; exactly one of ``text`` and ``html`` is set."""

    cluster: str
    url: str | None
    text: str | None
    html: str | None
    line: int
    source: str
    page_kind: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def _string_field(record: dict, key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    return value


def read_documents(path: Path | str) -> list[Document]:
    """All documents of a JSON-lines file; blank lines and lines starting with '#' are skipped.

    Raises :class:`InputError` ('file:line: problem') for invalid JSON, a missing cluster, both
    or neither of text/html, empty text, or unknown keys (typos such as "txt" would otherwise
    silently drop a page).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"documents file {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    documents: list[Document] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise InputError(f"{where}: each line must be a JSON object")
        unknown = set(record) - _KNOWN_KEYS
        if unknown:
            raise InputError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                "(expected cluster, url, and text or html)"
            )
        cluster = _string_field(record, "cluster", where)
        if not cluster or not cluster.strip():
            raise InputError(f"{where}: missing 'cluster' (a cluster id or its website URL)")
        text = _string_field(record, "text", where)
        html = _string_field(record, "html", where)
        if text is not None and html is not None:
            raise InputError(f"{where}: give either 'text' or 'html', not both")
        if text is None and html is None:
            raise InputError(f"{where}: missing 'text' (or 'html')")
        content = text if text is not None else html
        if not content or not content.strip():
            raise InputError(f"{where}: empty {'text' if text is not None else 'html'}")
        documents.append(
            Document(
                cluster=cluster.strip(),
                url=_string_field(record, "url", where),
                text=text,
                html=html,
                line=number,
                source=str(path),
                page_kind=_string_field(record, "page_kind", where),
            )
        )
    if not documents:
        raise InputError(f"{path}: no documents (the file is empty)")
    return documents
