"""A minimal bare Scrapy spider, the crawl benchmark's baseline: ``python -m benchmarks.bare_crawl
JOB``.

It starts at every site's root and follows the same-site links of each page, with the same
concurrency, robots.txt handling and page budget as our site spider, and stores nothing: the
gap to our spider is what our spider does on top (politeness bookkeeping, link rules, page
records, warehouse writes). Prints one JSON line: pages fetched and seconds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess


class BareSiteSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, roots: list[str], max_pages: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.roots = roots
        self.max_pages = max_pages
        self.pages = 0
        self.seen: dict[str, set[str]] = {}

    def _roots(self):
        for root in self.roots:
            self.seen.setdefault(urlsplit(root).netloc, set()).add(root)
            yield scrapy.Request(root, callback=self.parse)

    async def start(self):  # Scrapy >= 2.13
        for request in self._roots():
            yield request

    def start_requests(self):  # older Scrapy
        yield from self._roots()

    def parse(self, response):
        self.pages += 1
        host = urlsplit(response.url).netloc
        seen = self.seen.setdefault(host, set())
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href).split("#", 1)[0]
            if urlsplit(url).netloc != host or url in seen:
                continue
            if len(seen) >= self.max_pages:
                break
            seen.add(url)
            yield scrapy.Request(url, callback=self.parse)


def crawl(job: dict[str, Any]) -> dict[str, Any]:
    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": bool(job.get("obey_robots", True)),
            "CONCURRENT_REQUESTS": int(job["concurrent_requests"]),
            "CONCURRENT_REQUESTS_PER_DOMAIN": int(job["concurrent_per_domain"]),
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "RETRY_ENABLED": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "ERROR",
        }
    )
    started = time.perf_counter()
    runner = process.create_crawler(BareSiteSpider)
    process.crawl(runner, roots=list(job["roots"]), max_pages=int(job["max_pages"]))
    process.start()
    return {"pages": runner.spider.pages, "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    print(json.dumps(crawl(job)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
