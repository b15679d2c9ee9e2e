"""DuckDB warehouse: schema migrations, history (valid_from/valid_to) and exports."""

from clusterradar.warehouse.db import connect, migrate, query, transaction

__all__ = ["connect", "migrate", "query", "transaction"]
