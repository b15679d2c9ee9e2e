"""DuckDB warehouse: schema migrations, history (valid_from/valid_to) and exports."""

# Imported as `warehouse` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.warehouse":
    raise ImportError(
        "import clusterradar.warehouse, not warehouse: "
        "the stage folders install as subpackages of clusterradar"
    )

from clusterradar.warehouse.db import connect, migrate, query, transaction

__all__ = ["connect", "migrate", "query", "transaction"]
