"""Export the effective classification at a date as CSV, Parquet or JSON plus a Frictionless
data package, so results can be used without Clusterradar (spreadsheets, pandas, R).

The whole export folder is built beside the target and swapped in at once
(:mod:`clusterradar.warehouse.publish`): the data files and ``datapackage.json`` always belong
together, even when an export is killed half-way; ``datapackage.json`` records each file's size
and sha256 so anyone can check. An existing export is only replaced with ``force``. CSV cells
that a spreadsheet would run as a formula are neutralised (:func:`neutralise_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from clusterradar import __version__
from clusterradar.errors import InputError
from clusterradar.inputs import parse_date, parse_quarter_flag
from clusterradar.labels import DIMENSION_KEYS, Taxonomy
from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import SOURCES, utcnow
from clusterradar.warehouse.publish import publish, staging_folder

FORMATS = {
    "csv": ("csv", "text/csv"),
    "parquet": ("parquet", "application/vnd.apache.parquet"),
    "json": ("json", "application/json"),
}
COLUMNS = (
    "cluster_id",
    "cluster_name",
    "bundeslaender",
    "website",
    "dimension",
    "label_key",
    "label_de",
    "source",
    "valid_from",
    "valid_to",
    "decided_by",
    "decided_at",
    "model_version",
    "evidence_urls",
    "version_id",
)
LIST_COLUMNS = {"bundeslaender", "evidence_urls"}
LIST_SEPARATOR = ";"
PRIMARY_KEY = ["cluster_id", "dimension", "label_key"]
PACKAGE_FILE = "datapackage.json"
EXPORT_FILES = {f"classifications.{ext}" for ext, _ in FORMATS.values()} | {PACKAGE_FILE}
# OWASP "CSV Injection": a cell starting with one of these is a formula to spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(slots=True)
class ExportResult:
    """Where the export went and how many rows it holds."""

    path: Path
    datapackage_path: Path
    rows: int
    as_of: dt.date
    fmt: str


def parse_as_of(text: str | None) -> dt.date:
    """A YYYY-MM-DD date from the command line (None: today), between 2020-01-01 and today
    (:mod:`clusterradar.inputs`)."""
    if text is None:
        return dt.date.today()
    return parse_date(text, "--as-of")


def export_as_of(as_of: str | None, quarter: str | None) -> dt.date:
    """The as-of date of an export: ``--as-of`` YYYY-MM-DD, or the last day of ``--quarter``
    (the quarter's as-of date, as in reports and diffs; at most the current quarter), or today;
    never both flags."""
    if as_of is not None and quarter is not None:
        raise InputError("--as-of and --quarter exclude each other; give one of them")
    if quarter is not None:
        return parse_quarter_flag(quarter, "--quarter").as_of
    return parse_as_of(as_of)


def neutralise_cell(text: str) -> str:
    """The cell with a leading single quote when it starts with = + - @ tab or CR, so a
    spreadsheet shows it as text instead of running it as a formula (OWASP, CSV Injection).
    Readers that want the original value drop a leading ' followed by one of those."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def classification_rows(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, taxonomy: Taxonomy
) -> list[dict[str, Any]]:
    """The rows of the export: one per effective (cluster, dimension, label) on `as_of`."""
    cursor = con.execute(query("export_classifications"), {"as_of": as_of})
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["bundeslaender"] = list(row["bundeslaender"] or [])
        row["evidence_urls"] = list(row["evidence_urls"] or [])
        row["label_de"] = taxonomy.label_de(row["dimension"], row["label_key"])
        rows.append({column: row[column] for column in COLUMNS})
    return rows


def _text(value: Any) -> Any:
    """JSON/CSV form of a value: ISO dates, UTC datetimes with 'Z'."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _csv_cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if column in LIST_COLUMNS:
        text = LIST_SEPARATOR.join(value)
    else:
        text = "" if value is None else str(_text(value))
    return neutralise_cell(text)


def _write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    # Every field quoted (as OWASP advises with the quote prefix): a ';' or ',' inside a cell
    # never starts a new cell in a spreadsheet.
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_csv_cell(row, c) for c in COLUMNS])


def _write_json(rows: list[dict[str, Any]], path: Path) -> None:
    data = [{c: _text(row[c]) for c in COLUMNS} for row in rows]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {c: pa.string() for c in COLUMNS}
    types.update({c: pa.list_(pa.string()) for c in LIST_COLUMNS})
    types.update(
        {"valid_from": pa.date32(), "valid_to": pa.date32(), "decided_at": pa.timestamp("us")}
    )
    schema = pa.schema([(c, types[c]) for c in COLUMNS])
    table = pa.table(
        {c: pa.array([row[c] for row in rows], type=types[c]) for c in COLUMNS}, schema=schema
    )
    pq.write_table(table, path)


_WRITERS = {"csv": _write_csv, "json": _write_json, "parquet": _write_parquet}


def table_schema(fmt: str, taxonomy: Taxonomy) -> dict[str, Any]:
    """Frictionless Table Schema of the export in `fmt` (lists are ';'-joined strings in CSV)."""
    label_keys = sorted({c.key for dim in taxonomy.dimensions for c in dim.categories})

    def list_field(name: str, description: str) -> dict[str, Any]:
        if fmt == "csv":
            return {"name": name, "type": "string", "description": f"{description}, joined by ';'"}
        return {"name": name, "type": "array", "description": description}

    fields = [
        {
            "name": "cluster_id",
            "type": "string",
            "description": "Stable cluster id",
            "constraints": {"required": True},
        },
        {"name": "cluster_name", "type": "string"},
        list_field("bundeslaender", "Bundesland slugs of the registry"),
        {"name": "website", "type": "string", "format": "uri"},
        {
            "name": "dimension",
            "type": "string",
            "description": "Dimension of the typology (Table 1)",
            "constraints": {"required": True, "enum": list(DIMENSION_KEYS)},
        },
        {
            "name": "label_key",
            "type": "string",
            "description": "Category key within the dimension",
            "constraints": {"required": True, "enum": label_keys},
        },
        {"name": "label_de", "type": "string", "description": "German label as in the paper"},
        {
            "name": "source",
            "type": "string",
            "constraints": {"required": True, "enum": list(SOURCES)},
        },
        {"name": "valid_from", "type": "date", "constraints": {"required": True}},
        {"name": "valid_to", "type": "date", "description": "Exclusive; empty while in force"},
        {"name": "decided_by", "type": "string"},
        {"name": "decided_at", "type": "datetime", "description": "UTC"},
        {"name": "model_version", "type": "string"},
        list_field("evidence_urls", "Pages the decision relied on"),
        {
            "name": "version_id",
            "type": "string",
            "description": "Classification version (see history)",
        },
    ]
    return {"fields": fields, "primaryKey": PRIMARY_KEY, "missingValues": [""]}


def _file_facts(path: Path) -> dict[str, Any]:
    """Frictionless `bytes` and `hash` of a written file: a reader can check that the
    descriptor and the data belong together."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "hash": f"sha256:{digest.hexdigest()}"}


def _resource(fmt: str, as_of: dt.date, rows: int, taxonomy: Taxonomy) -> dict[str, Any]:
    extension, mediatype = FORMATS[fmt]
    description = (
        f"One row per effective (cluster, dimension, label) on {as_of.isoformat()}; "
        f"{rows} rows; exported by clusterradar {__version__}."
    )
    if fmt == "csv":
        description += (
            " Cells starting with = + - @ tab or CR carry a leading ' so spreadsheets do not "
            "run them as formulas; drop it to get the original text."
        )
    resource = {
        "name": f"classifications-{fmt}",
        "path": f"classifications.{extension}",
        "title": f"Effective classifications on {as_of.isoformat()}",
        "description": description,
        "format": extension,
        "mediatype": mediatype,
        "schema": table_schema(fmt, taxonomy),
    }
    if fmt in ("csv", "json"):
        resource["encoding"] = "utf-8"
    if fmt == "csv":
        resource["profile"] = "tabular-data-resource"
        resource["dialect"] = {"delimiter": ",", "header": True, "doubleQuote": True}
    return resource


def _existing_resources(out_dir: Path, replacing: str) -> list[dict[str, Any]]:
    """Resources of an earlier export in the same folder (other formats) that still exist."""
    try:
        data = json.loads((out_dir / PACKAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    kept = []
    for resource in data.get("resources", []) if isinstance(data, dict) else []:
        other = resource.get("path") if isinstance(resource, dict) else None
        if (
            isinstance(other, str)
            and other != replacing
            and other in EXPORT_FILES
            and (out_dir / other).is_file()
        ):
            kept.append(resource)
    return kept


def _check_out_dir(out_dir: Path) -> None:
    """The export folder is replaced as a whole, so it may hold nothing but export files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out: {out_dir} exists and is not a folder")
    if out_dir == Path.cwd() or out_dir in Path.cwd().parents:
        raise InputError(f"--out: {out_dir} is the current folder or above it; give a new folder")
    if out_dir.is_dir():
        foreign = sorted(e.name for e in out_dir.iterdir() if e.name not in EXPORT_FILES)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise InputError(
                f"--out: {out_dir} holds files that are not part of an export ({shown}); "
                "give the export a folder of its own"
            )


def _package(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package"
        if all(r.get("format") == "csv" for r in resources)
        else "data-package",
        "name": "clusterradar-classifications",
        "title": "Clusterradar: SVI / dual-use classification of German cluster initiatives",
        "created": utcnow().replace(microsecond=0).isoformat() + "Z",
        "sources": [
            {
                "title": "VDI/VDE-IT (2026): Sicherheits- und Verteidigungsinnovationen als "
                "Hebel regionaler Entwicklung"
            }
        ],
        "resources": resources,
    }


def export_classifications(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | str,
    fmt: str,
    as_of: dt.date | None = None,
    force: bool = False,
    *,
    taxonomy: Taxonomy | None = None,
) -> ExportResult:
    """Write `classifications.<ext>` and `datapackage.json` into `out_dir` (created if needed).

    Refuses (InputError, nothing written) when `classifications.<ext>` exists and not `force`,
    and when `out_dir` holds anything but export files. The data package also keeps describing
    earlier exports of other formats in the same folder. The new folder contents are built
    beside `out_dir` and swapped in at once, so a reader (or a kill at any moment) sees the
    previous export or the new one, each with its own matching descriptor.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if taxonomy is None:
        from clusterradar.labels import load_taxonomy

        taxonomy = load_taxonomy()
    as_of = as_of or dt.date.today()
    requested = Path(out_dir)
    out_dir = requested.resolve()
    _check_out_dir(out_dir)
    name = f"classifications.{FORMATS[fmt][0]}"
    if (out_dir / name).exists() and not force:
        raise InputError(f"{requested / name} already exists; use --force to overwrite it")
    rows = classification_rows(con, as_of, taxonomy)
    try:
        staging = staging_folder(out_dir)
    except OSError as exc:
        raise InputError(
            f"--out: cannot create a folder beside {requested} ({exc.strerror}); an export "
            "is built next to its folder and swapped in, so it needs write access there"
        ) from None
    try:
        _WRITERS[fmt](rows, staging / name)
        resources = []
        for resource in _existing_resources(out_dir, name):
            kept = out_dir / resource["path"]
            try:
                os.link(kept, staging / kept.name)  # files are never changed in place
            except OSError:
                shutil.copy2(kept, staging / kept.name)
            resources.append(resource)
        resources.append(
            {**_resource(fmt, as_of, len(rows), taxonomy), **_file_facts(staging / name)}
        )
        resources.sort(key=lambda r: r.get("path", ""))
        (staging / PACKAGE_FILE).write_text(
            json.dumps(_package(resources), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        publish(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(
        path=requested / name,
        datapackage_path=requested / PACKAGE_FILE,
        rows=len(rows),
        as_of=as_of,
        fmt=fmt,
    )
