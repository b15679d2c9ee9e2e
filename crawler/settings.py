"""Scrapy settings built from our one settings object (``Settings.crawl``).

Politeness is the default: robots.txt obeyed, AutoThrottle on, 1-2 requests per site at a
time, a User-Agent naming the project, timeouts, bounded retries and a size cap, and a
wall-clock budget per site (``SiteTimeBudgetMiddleware``). Scrapy's own offsite, depth and
URL-length filters are switched off because the site spider applies those rules per seed
itself (:mod:`clusterradar.crawler.site`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clusterradar.settings import CrawlSettings

_MW = "clusterradar.crawler.middlewares"


def scrapy_settings(
    crawl: CrawlSettings, *, allow_private: bool, log_file: Path | None = None
) -> dict[str, Any]:
    """The Scrapy settings dict for one crawl process."""
    return {
        "BOT_NAME": "clusterradar",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_per_domain,
        # A callback returns a few requests and at most one site result, but Scrapy starts
        # this many asyncio workers for every callback's output (default 100: about 100
        # tasks per page, the largest item in the crawl's profile, issue 17).
        "CONCURRENT_ITEMS": 4,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.download_maxsize,
        "DOWNLOAD_WARNSIZE": max(crawl.download_maxsize // 2, 1),
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy >= 2.19 would open a control port
        "DEPTH_LIMIT": 0,
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(log_file) if log_file else None,
        "LOG_FILE_APPEND": True,
        "STATS_DUMP": True,
        "CLUSTERRADAR_ALLOW_PRIVATE": allow_private,
        "CLUSTERRADAR_CAPTURE_PDF": crawl.capture_pdf,
        # Host names are checked where Twisted resolves them for the connection (thread pool,
        # no TOCTOU); IP literals and localhost by the middleware below, without DNS.
        "TWISTED_DNS_RESOLVER": f"{_MW}.PublicAddressResolver",
        "DOWNLOADER_MIDDLEWARES": {
            # Before robots.txt (100): its wait counts against the site's time budget.
            f"{_MW}.SiteTimeBudgetMiddleware": 50,
            # Before robots.txt (100): a refused host is never contacted, not even for robots.txt.
            f"{_MW}.PrivateAddressMiddleware": 60,
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        },
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
        },
        "ITEM_PIPELINES": {"clusterradar.crawler.pipelines.WarehouseWriter": 300},
    }
