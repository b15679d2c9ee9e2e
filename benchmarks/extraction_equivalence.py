"""Does a change of the extraction step keep what it stores? Before/after, page by page.

``python -m benchmarks.extraction_equivalence --write FILE [--clusters N] [--pages M]``
extracts a synthetic web (:mod:`benchmarks.synthweb`, N sites of M pages, the portal's pages
included) and every HTML page of ``tests/fixtures`` (each fixture folder as one site, and each
page alone) with :func:`~clusterradar.pipeline.extract.extract_site`, and writes text, title,
published, language and paragraphs per page as JSON. ``--compare FILE`` extracts the same pages
and exits 1, naming the first pages that differ, unless every field of every page is equal.

Run ``--write`` with the code before the change (``PYTHONPATH`` at an unpacked ``git archive``,
as in docs/performance.md) and ``--compare`` with the code after it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def _sites(web: Path) -> dict[str, list[Path]]:
    sites: dict[str, list[Path]] = {}
    for page in sorted(web.rglob("*.html")):
        sites.setdefault(f"web/{page.relative_to(web).parts[0]}", []).append(page)
    for page in sorted(FIXTURES.rglob("*.htm*")):
        folder = page.parent.relative_to(FIXTURES)
        sites.setdefault(f"fixtures/{folder}", []).append(page)
        sites[f"fixtures/{page.relative_to(FIXTURES)} alone"] = [page]
    return sites


def extracted_pages(clusters: int, pages: int) -> dict[str, list[Any]]:
    """(site | page) -> [text, title, published, language, paragraphs] of every page."""
    from benchmarks.synthweb import write_synthetic_web
    from clusterradar.pipeline.extract import extract_site

    found: dict[str, list[Any]] = {}
    with tempfile.TemporaryDirectory(prefix="clusterradar-equivalence-") as folder:
        web = Path(folder) / "web"
        write_synthetic_web(web, clusters, pages)
        for site, files in _sites(web).items():
            rows = [(f.read_bytes(), f"https://{site}/{f.name}", "text/html") for f in files]
            for file, page in zip(files, extract_site(rows), strict=True):
                name = file.relative_to(web) if file.is_relative_to(web) else file.name
                found[f"{site} | {name}"] = [
                    page.text,
                    page.title,
                    page.published.isoformat() if page.published else None,
                    page.language,
                    page.paragraphs,
                ]
    return found


def differences(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """Pages present on one side only or with any field unequal."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction_equivalence")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="write the extracted pages to this JSON file")
    mode.add_argument("--compare", type=Path, help="compare with a file --write wrote")
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args(argv)
    if args.clusters < 1 or args.pages < 1:
        parser.exit(2, "error: --clusters and --pages must be at least 1\n")
    if args.compare and not args.compare.is_file():
        parser.exit(2, f"error: {args.compare} does not exist; write it with --write first\n")
    found = extracted_pages(args.clusters, args.pages)
    if args.write:
        args.write.write_text(json.dumps(found, ensure_ascii=False, sort_keys=True), "utf-8")
        print(f"{len(found)} pages written to {args.write}")
        return 0
    before = json.loads(args.compare.read_text("utf-8"))
    differ = differences(before, found)
    print(f"{len(found)} pages, {len(differ)} differ" + "".join(f"\n  {k}" for k in differ[:10]))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
