"""The project's benchmark: ``python -m benchmarks [--clusters N] [--pages M] [--json FILE]``.

One run, everything side by side on a synthetic web of N initiatives x M pages served on
127.0.0.1 (:mod:`benchmarks.synthweb`), all files in a temporary folder:

1. a full quarter (``run_quarter``, as ``clusterradar run``): wall time per stage, peak RSS of
   the whole process tree, pages/s;
2. the crawl: our site spider (the quarter's site stage) against a bare Scrapy spider;
3. extraction, passages + lexicon and embeddings: the quarter's pipeline steps against the
   bare library calls on the same pages and passages;
4. an unchanged next quarter on the same web (304s): wall time and speed-up;
5. 8 quarters of history for every cluster and dimension, then the review app's p50/p95 and
   ``export --as-of`` on that history;
6. no slowdown with age: the same probe sites crawled and processed in an empty warehouse and
   in the aged one;
7. ``evaluate`` of the default model (``--skip-evaluate`` leaves it out).

Progress goes to stderr, one line per step. The result is one JSON object (``--json FILE``,
else stdout after the table) and a Markdown table with target and pass/miss per row
(``--markdown FILE``, and always on stdout). Targets: :mod:`benchmarks.report`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import aged, bare
from benchmarks.child import bench_settings
from benchmarks.proctree import run_measured
from benchmarks.report import machine, markdown
from benchmarks.synthweb import write_synthetic_web
from clusterradar.crawler.localweb import LocalWeb
from clusterradar.demo.sampleweb import PORTAL
from clusterradar.quarters import current_quarter
from clusterradar.warehouse.labels_loading import initialise_warehouse

STEPS = 10
_started = time.perf_counter()


def say(step: int, text: str) -> None:
    elapsed = time.perf_counter() - _started
    print(f"[{step}/{STEPS} {elapsed:6.1f}s] {text}", file=sys.stderr, flush=True)


class BenchmarkError(RuntimeError):
    """A measured run failed; the message says which and why."""


def _child(kind: str, job: dict[str, Any], folder: Path) -> tuple[dict[str, Any], Any]:
    """Run benchmarks.child with `job`; its JSON result and the measured process."""
    path = folder / f"job-{kind}-{time.time_ns()}.json"
    path.write_text(json.dumps({"kind": kind, **job}), encoding="utf-8")
    finished = run_measured([sys.executable, "-m", "benchmarks.child", str(path)])
    if finished.returncode != 0:
        tail = finished.stderr.strip().splitlines()[-5:]
        raise BenchmarkError(f"{kind} run failed (exit {finished.returncode}): {' | '.join(tail)}")
    return json.loads(finished.stdout.strip().splitlines()[-1]), finished


def _stage(run: dict[str, Any], name: str) -> dict[str, Any]:
    return next((s for s in run["stages"] if s["stage"] == name), {"seconds": 0.0, "stats": {}})


def _ratio(ours_count: float, ours_s: float, bare_count: float, bare_s: float) -> float | None:
    """Throughput ours / bare (1.0: as fast as the bare library)."""
    if min(ours_count, ours_s, bare_count, bare_s) <= 0:
        return None
    return round((ours_count / ours_s) / (bare_count / bare_s), 3)


def _bare_crawl(web, local: LocalWeb, settings, folder: Path) -> dict[str, Any]:
    job = {
        "roots": [local.url(i.site) + "/" for i in web.initiatives],
        "max_pages": settings.crawl.max_pages,
        "concurrent_requests": settings.crawl.concurrent_requests,
        "concurrent_per_domain": settings.crawl.concurrent_per_domain,
        "obey_robots": settings.crawl.obey_robots,
    }
    path = folder / "job-bare-crawl.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    finished = run_measured([sys.executable, "-m", "benchmarks.bare_crawl", str(path)])
    if finished.returncode != 0:
        raise BenchmarkError(f"bare Scrapy crawl failed: {finished.stderr.strip()[-300:]}")
    found = json.loads(finished.stdout.strip().splitlines()[-1])
    # The process's wall time, like our site stage's (which starts its crawl process too).
    return {
        "pages": found["pages"],
        "seconds": round(finished.wall_s, 3),
        "engine_s": found["seconds"],
    }


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    clusters, pages = args.clusters, args.pages
    later = current_quarter()
    first_q, rerun_q = later.previous(), later
    result: dict[str, Any] = {"machine": machine()}
    result.update(cores=result["machine"]["cores"], ram_mb=result["machine"]["ram_mb"])
    result["versions"] = result["machine"]["versions"]

    # The first quarter starts, like a new machine, without use-static's piece table; later
    # quarters and the age probe find it filled, as a machine's later quarters do.
    os.environ["CLUSTERRADAR_CACHE_DIR"] = str(folder / "cache")
    probes = max(1, min(10, clusters // 6))
    say(1, f"writing a synthetic web: {clusters} initiatives x {pages} pages, {probes} probe sites")
    web = write_synthetic_web(folder / "web", clusters, pages, probes=probes)
    files = web.page_files()
    result["web"] = {
        "clusters": clusters,
        "pages_per_site": pages,
        "pages": len(files),
        "mean_page_kib": round(sum(f.stat().st_size for f in files) / len(files) / 1024, 1),
    }
    db = folder / "quarters.duckdb"
    initialise_warehouse(db)
    with LocalWeb(web.sites) as local:
        portal_url = local.url(PORTAL) + web.start_path
        settings = bench_settings(db, portal_url, pages)
        job = {"db": str(db), "portal_url": portal_url, "pages": pages}

        say(2, f"quarter {first_q}: registry, sites, pipeline, classify (fresh process)")
        first, process = _child("quarter", {**job, "quarter": str(first_q)}, folder)
        sites, pipeline = _stage(first, "sites"), _stage(first, "pipeline")
        classify = _stage(first, "classify")
        crawled = int(sites["stats"].get("pages") or 0)
        cpu_stages = pipeline["seconds"] + classify["seconds"]
        result["quarter"] = {
            "quarter": str(first_q),
            "stages": {s["stage"]: s["seconds"] for s in first["stages"]},
            "pipeline_steps": pipeline["stats"].get("seconds", {}),
            "pages_crawled": crawled,
            "pages_per_s": round(crawled / first["wall_s"], 2) if first["wall_s"] else None,
            "process_wall_s": round(process.wall_s, 2),
        }
        result["quarter_wall_s"] = first["wall_s"]
        result["quarter_cpu_stages_s"] = round(cpu_stages, 2)
        result["quarter_peak_rss_mb"] = round(process.peak_rss_mb, 1)

        say(3, "crawl baseline: a bare Scrapy spider over the same sites")
        baseline = _bare_crawl(web, local, settings, folder)
        result["crawl"] = {
            "ours_pages": crawled,
            "ours_s": sites["seconds"],
            "ours_pages_per_s": round(crawled / sites["seconds"], 2) if sites["seconds"] else None,
            "bare_pages": baseline["pages"],
            "bare_s": baseline["seconds"],
            "bare_pages_per_s": round(baseline["pages"] / baseline["seconds"], 2),
            "concurrency": [
                settings.crawl.concurrent_requests,
                settings.crawl.concurrent_per_domain,
            ],
        }
        result["crawl_ratio"] = _ratio(
            crawled, sites["seconds"], baseline["pages"], baseline["seconds"]
        )

        say(4, f"quarter {rerun_q}: the same web unchanged (a recrawl answered by 304s)")
        second, process2 = _child("quarter", {**job, "quarter": str(rerun_q)}, folder)
        result["rerun"] = {
            "quarter": str(rerun_q),
            "wall_s": second["wall_s"],
            "stages": {s["stage"]: s["seconds"] for s in second["stages"]},
            "sites_stats": {
                k: v
                for k, v in _stage(second, "sites")["stats"].items()
                if k in ("pages", "unchanged", "new_bodies", "errors")
            },
            "peak_rss_mb": round(process2.peak_rss_mb, 1),
        }
        result["rerun_speedup"] = (
            round(first["wall_s"] / second["wall_s"], 2) if second["wall_s"] else None
        )

        say(5, "library baselines: trafilatura, spaCy nlp.pipe, encode on the same input")
        result.update(_library_ratios(args, db, files, pipeline["stats"], settings))

        say(6, "8 quarters of history for every cluster and dimension")
        cluster_ids = aged.registry_clusters(db)
        history = aged.history_quarters(first_q, 8)
        result["history"] = aged.write_history(db, cluster_ids, history)

        say(7, f"review app on the aged warehouse ({args.requests} requests per page)")
        result["review"] = aged.time_review_app(db, cluster_ids, args.requests)
        result["review_p95_ms"] = result["review"]["p95_ms"]

        say(8, "export --as-of on the aged warehouse")
        as_of = history[len(history) // 2].start
        result["export"] = aged.time_export(db, folder / "export", as_of)
        result["export"]["as_of"] = as_of.isoformat()
        result["export_s"] = result["export"]["seconds"]

        say(
            9,
            f"no slowdown with age: {probes} probe sites, empty vs aged warehouse, "
            f"{args.age_rounds} interleaved rounds",
        )
        empty = folder / "empty.duckdb"
        initialise_warehouse(empty)

        def run_probe(target: Path, ids: list[str]) -> dict[str, Any]:
            probe_job = {**job, "db": str(target), "cluster_ids": ids, "quarter": str(rerun_q)}
            return _child("probe", probe_job, folder)[0]

        result["age"] = aged.age_rounds(
            {"empty": empty, "aged": db},
            web.probes,
            local.url,
            run_probe,
            folder / "age",
            rounds=args.age_rounds,
        )
        result["age_ratio"] = result["age"]["ratio"]

    if args.skip_evaluate:
        say(10, "evaluate: skipped (--skip-evaluate)")
        result["evaluate_s"] = None
    else:
        say(10, "evaluate of the default model")
        from benchmarks.evaluate_default import measure

        result["evaluate"] = measure()
        result["evaluate_s"] = result["evaluate"]["seconds"]
    result["benchmark_wall_s"] = round(time.perf_counter() - _started, 1)
    if hasattr(os, "getloadavg"):  # the box is shared: how busy it was at the end as well
        result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _library_ratios(
    args: argparse.Namespace, db: Path, files: list[Path], stats: dict[str, Any], settings
) -> dict[str, Any]:
    """Our pipeline steps (from the quarter's stage) against the bare library calls."""
    steps = stats.get("seconds") or {}
    sample = files[: args.sample_pages]
    extract_s, texts = bare.bare_extraction(sample)
    spacy_s, cut = bare.bare_spacy(texts, settings)
    passages = bare.stored_passages(db, args.sample_passages)
    every = settings.nlp.passage_sentences
    source = "the pipeline's passages" if passages else f"every {every} sentences, bare texts"
    passages = passages or cut[: args.sample_passages]
    model = settings.nlp.embedding_model
    if bare.is_static(model):
        # use-static is our own model, so "bare" is its encode alone, from the same cold start
        # (a new piece table) over every passage the stage embedded: the gap is the stage's
        # cache look-ups and warehouse writes
        passages = bare.stored_passages(db, 10**9) or passages
        source = "every passage the pipeline wrote, a new piece table"
        encoded = bare.bare_static_encode(passages, db.parent / "bare-static-cache")
    else:
        encoded = bare.bare_encode(passages, model, 32)
    wrapper_s = bare.our_encode(passages, model)
    sample = passages[: args.sample_passages]
    use_reference = bare.bare_encode(sample, bare.USE_REFERENCE, 32)
    found: dict[str, Any] = {
        "extraction": {
            "ours_pages": stats.get("pages_extracted"),
            "ours_s": steps.get("extract"),
            "bare_pages": len(sample),
            "bare_s": round(extract_s, 3),
        },
        "passages": {
            "ours_pages": stats.get("snapshots_split"),
            "ours_s": steps.get("passages"),
            "bare_pages": len(texts),
            "bare_s": round(spacy_s, 3),
        },
        "embedding": {
            "model_id": encoded["model_id"],
            "library": encoded["library"],
            "bare_input": source,
            "ours_passages": stats.get("passages_embedded"),
            "ours_s": steps.get("embeddings"),
            "bare_passages": len(passages),
            "bare_s": round(encoded["seconds"], 3),
            "wrapper_s": round(wrapper_s, 3),
            "wrapper_ratio": round(encoded["seconds"] / wrapper_s, 3) if wrapper_s else None,
            "use_reference": {
                "library": use_reference["library"],
                "passages": len(sample),
                "seconds": round(use_reference["seconds"], 3),
            },
        },
    }
    found["embedding"]["other_backends"] = [
        bare.time_embedder(name, sample, use_reference["seconds"])
        for name in bare.extra_embedders(model, args.embedder)
    ]
    ours_n, ours_s = stats.get("passages_embedded"), steps.get("embeddings")
    # issue 17's "faster path": the quarter's embedding step against bare USE (the default
    # until 2026-12) on the same kind of passages, as throughput
    found["embed_speedup_vs_use"] = _ratio(
        float(ours_n or 0), float(ours_s or 0), len(sample), float(use_reference["seconds"])
    )
    for key, section, unit in (
        ("extract_ratio", "extraction", "pages"),
        ("passages_ratio", "passages", "pages"),
        ("embed_ratio", "embedding", "passages"),
    ):
        part = found[section]
        found[key] = _ratio(
            float(part[f"ours_{unit}"] or 0),
            float(part["ours_s"] or 0),
            float(part[f"bare_{unit}"] or 0),
            float(part["bare_s"] or 0),
        )
    return found


class _Parser(argparse.ArgumentParser):
    """Bad input is one line on stderr and exit code 2 (no usage block)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {message} (see python -m benchmarks --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=60, help="initiatives (default 60)")
    parser.add_argument("--pages", type=int, default=30, help="pages per website (default 30)")
    parser.add_argument("--json", type=Path, help="write the JSON result here")
    parser.add_argument("--markdown", type=Path, help="write the Markdown table here")
    parser.add_argument("--requests", type=int, default=40, help="review requests per page")
    parser.add_argument(
        "--sample-pages", type=int, default=1000, help="pages for the bare baselines"
    )
    parser.add_argument(
        "--sample-passages", type=int, default=500, help="passages for the bare encode"
    )
    parser.add_argument(
        "--embedder",
        action="append",
        default=[],
        help="also time this embedding backend's encode on the same passages (repeatable)",
    )
    parser.add_argument(
        "--age-rounds",
        type=int,
        default=aged.AGE_ROUNDS,
        help="interleaved empty/aged rounds of the age probe (default 3; the median ratio)",
    )
    parser.add_argument("--skip-evaluate", action="store_true", help="leave out evaluate")
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it")
    args = parser.parse_args(argv)
    minimum = {
        "clusters": 1,
        "pages": 2,
        "requests": 1,
        "sample_pages": 1,
        "sample_passages": 1,
        "age_rounds": 1,
    }
    for name, least in minimum.items():
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}")
    for flag, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path is not None and not path.parent.is_dir():
            parser.error(f"{flag} {path}: folder {path.parent} does not exist")
    if args.keep is not None and args.keep.exists():
        parser.error(f"--keep {args.keep} exists already; name a new folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True)
            result = run(args, args.keep)
        else:
            with tempfile.TemporaryDirectory(prefix="clusterradar-bench-") as folder:
                result = run(args, Path(folder))
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result["command"] = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
    table = markdown(result)
    text = json.dumps(result, indent=2, default=str, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    print(table)
    if not args.json:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
