"""Our own exception types. The CLI turns each into one clear line and a non-zero exit."""

from __future__ import annotations


class ClusterradarError(Exception):
    """Base of every error a user can cause or fix; `exit_code` is what the CLI returns."""

    exit_code = 1


class ConfigError(ClusterradarError):
    """A setting, flag or configuration file is invalid."""


class WarehouseError(ClusterradarError):
    """The DuckDB file is missing, locked, foreign, or of a newer schema."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB write lock for longer than we were willing to wait."""


class LabelValidationError(ClusterradarError):
    """A label file breaks the schema; `problems` lists every finding as 'file:line: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems:\n" + "\n".join(problems)
        )


class NotFoundError(ClusterradarError):
    """A cluster, suggestion, run or user the caller named does not exist."""


class InputError(ClusterradarError):
    """A file or argument given by the user is malformed (bad JSON lines, unknown key, ...)."""


class CrawlError(ClusterradarError):
    """A crawl could not start or found nothing it could parse."""


class ModelError(ClusterradarError):
    """A model could not be loaded or trained (missing artefact, no offline model, ...)."""
