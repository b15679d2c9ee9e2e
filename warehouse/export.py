"""Export the effective classification at a date, or a quarter's rank-1 suggestions with their
review status, as CSV, Parquet or JSON plus a Frictionless data package, so results can be used
without Clusterradar (spreadsheets, pandas, R, ``frictionless validate``).

The whole export folder is built beside the target and swapped in at once
(:mod:`clusterradar.warehouse.publish`): the data files and ``datapackage.json`` always belong
together, even when an export is killed half-way; ``datapackage.json`` records each file's size
and sha256 so anyone can check. An existing export is only replaced with ``force``. CSV cells
that a spreadsheet would run as a formula are neutralised (:func:`neutralise_cell`).

List columns are ';'-joined text in CSV, arrays in JSON, and JSON-encoded text in Parquet (the
Table Schema's lexical form of an ``array`` field, which ``frictionless validate`` checks; native
Parquet lists fail its type check).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from clusterradar import __version__, clock
from clusterradar.errors import InputError
from clusterradar.inputs import parse_date, parse_quarter_flag
from clusterradar.labels import DIMENSION_KEYS, Taxonomy, load_taxonomy
from clusterradar.quarters import Quarter, current_quarter
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
SUGGESTION_COLUMNS = (
    "quarter",
    "cluster_id",
    "cluster_name",
    "bundeslaender",
    "website",
    "dimension",
    "label_key",
    "label_de",
    "score",
    "model_version",
    "run_id",
    "suggestion_id",
    "suggested_at",
    "decision_status",
    "decided_labels",
    "decided_by",
    "decided_at",
    "evidence_urls",
)
LIST_COLUMNS = {"bundeslaender", "evidence_urls", "decided_labels"}
LIST_SEPARATOR = ";"
PRIMARY_KEY = ["cluster_id", "dimension", "label_key"]
PACKAGE_FILE = "datapackage.json"
# Review status of a suggestion: the action of the decision that concluded its review.
DECISION_STATUSES = {
    None: "undecided",
    "accept": "accepted",
    "reject": "rejected",
    "override": "overridden",
}
# OWASP "CSV Injection": a cell starting with one of these is a formula to spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Under which terms the exported data may be reused, and where it comes from (Data Package
# `licenses` and `sources`). The labels are the paper's judgement; the rest is this project's.
LICENSES = [
    {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0",
    }
]
SOURCES_OF_DATA = [
    {
        "title": "Buhl, C. M.; Bovenschulte, M. (2026): Sicherheits- und "
        "Verteidigungsinnovationen als Hebel regionaler Entwicklung, VDI/VDE Innovation + "
        "Technik GmbH, Berlin (Tables 1 and 2: typology and labelled clusters)"
    },
    {
        "title": "Clusterplattform Deutschland: registry of cluster initiatives",
        "path": "https://www.clusterplattform.de/",
    },
    {"title": "The initiatives' public websites, crawled by Clusterradar (see evidence_urls)"},
]


@dataclass(frozen=True, slots=True)
class ExportKind:
    """What one kind of export holds: its file stem, columns and table schema."""

    name: str  # the file stem: classifications.<ext> or suggestions.<ext>
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    parquet_types: dict[str, str]  # non-string, non-list columns: date, timestamp, double
    fields: Callable[[Taxonomy], list[dict[str, Any]]]


@dataclass(slots=True)
class ExportResult:
    """Where the export went and how many rows it holds."""

    path: Path
    datapackage_path: Path
    rows: int
    as_of: dt.date
    fmt: str
    kind: str = "classifications"
    quarter: str | None = None


def parse_as_of(text: str | None) -> dt.date:
    """A YYYY-MM-DD date from the command line (None: today), between 2020-01-01 and today
    (:mod:`clusterradar.inputs`)."""
    if text is None:
        return clock.today()
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


def suggestions_quarter(quarter: str | None, as_of: str | None) -> Quarter:
    """The quarter of ``export --suggestions``: ``--quarter`` (default: the current one); a
    suggestion belongs to a quarter's run, so ``--as-of`` does not apply."""
    if as_of is not None:
        raise InputError("--suggestions exports a quarter's run; give --quarter, not --as-of")
    if quarter is None:
        return current_quarter()
    return parse_quarter_flag(quarter, "--quarter")


def neutralise_cell(text: str) -> str:
    """The cell with a leading single quote when it starts with = + - @ tab or CR, so a
    spreadsheet shows it as text instead of running it as a formula (OWASP, CSV Injection).
    Readers that want the original value drop a leading ' followed by one of those."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def classification_rows(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, taxonomy: Taxonomy
) -> list[dict[str, Any]]:
    """The rows of the export: one per effective (cluster, dimension, label) on `as_of`."""
    rows = []
    for row in _records(con.execute(query("export_classifications"), {"as_of": as_of})):
        row["bundeslaender"] = list(row["bundeslaender"] or [])
        row["evidence_urls"] = list(row["evidence_urls"] or [])
        row["label_de"] = taxonomy.label_de(row["dimension"], row["label_key"])
        rows.append({column: row[column] for column in COLUMNS})
    return rows


def suggestion_rows(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, taxonomy: Taxonomy
) -> list[dict[str, Any]]:
    """One row per (cluster, dimension): the rank-1 suggestion of the newest finished run of
    `quarter` that classified it, with its score, model version and review status
    (undecided / accepted / rejected / overridden, from the decision that concluded it)."""
    rows = []
    cursor = con.execute(query("export_suggestions"), {"quarter": str(quarter)})
    for row in _records(cursor):
        action = row.pop("concluded_action")
        row["decision_status"] = DECISION_STATUSES[action]
        row["decided_labels"] = list(row["decided_labels"] or [])
        row["bundeslaender"] = list(row["bundeslaender"] or [])
        row["evidence_urls"] = list(row["evidence_urls"] or [])
        row["label_de"] = taxonomy.label_de(row["dimension"], row["label_key"])
        rows.append({column: row[column] for column in SUGGESTION_COLUMNS})
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


def _write_csv(kind: ExportKind, rows: list[dict[str, Any]], path: Path) -> None:
    # Every field quoted (as OWASP advises with the quote prefix): a ';' or ',' inside a cell
    # never starts a new cell in a spreadsheet.
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(kind.columns)
        for row in rows:
            writer.writerow([_csv_cell(row, c) for c in kind.columns])


def _write_json(kind: ExportKind, rows: list[dict[str, Any]], path: Path) -> None:
    data = [{c: _text(row[c]) for c in kind.columns} for row in rows]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_parquet(kind: ExportKind, rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {"date": pa.date32(), "timestamp": pa.timestamp("us"), "double": pa.float64()}
    types = {c: arrow.get(kind.parquet_types.get(c, ""), pa.string()) for c in kind.columns}

    def cell(row: dict[str, Any], column: str) -> Any:
        value = row[column]
        return json.dumps(value, ensure_ascii=False) if column in LIST_COLUMNS else value

    schema = pa.schema([(c, types[c]) for c in kind.columns])
    table = pa.table(
        {c: pa.array([cell(row, c) for row in rows], type=types[c]) for c in kind.columns},
        schema=schema,
    )
    pq.write_table(table, path)


_WRITERS = {"csv": _write_csv, "json": _write_json, "parquet": _write_parquet}


def _label_keys(taxonomy: Taxonomy) -> list[str]:
    return sorted({c.key for dim in taxonomy.dimensions for c in dim.categories})


def _registry_fields() -> list[dict[str, Any]]:
    return [
        {
            "name": "cluster_id",
            "type": "string",
            "description": "Stable cluster id",
            "constraints": {"required": True},
        },
        {"name": "cluster_name", "type": "string"},
        {"name": "bundeslaender", "type": "array", "description": "Bundesland slugs"},
        {"name": "website", "type": "string", "format": "uri"},
    ]


def _label_fields(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    return [
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
            "constraints": {"required": True, "enum": _label_keys(taxonomy)},
        },
        {"name": "label_de", "type": "string", "description": "German label as in the paper"},
    ]


def classification_fields(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Table Schema fields of the classification export (lists typed `array`)."""
    return [
        *_registry_fields(),
        *_label_fields(taxonomy),
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
        {"name": "evidence_urls", "type": "array", "description": "Pages the decision relied on"},
        {
            "name": "version_id",
            "type": "string",
            "description": "Classification version (see history)",
        },
    ]


def suggestion_fields(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Table Schema fields of the suggestion export (lists typed `array`)."""
    required = {"required": True}
    return [
        {
            "name": "quarter",
            "type": "string",
            "description": "Quarter of the classification run, e.g. 2026Q4",
            "constraints": {**required, "pattern": "[0-9]{4}Q[1-4]"},
        },
        *_registry_fields(),
        *_label_fields(taxonomy),
        {
            "name": "score",
            "type": "number",
            "description": "Calibrated score of the suggestion",
            "constraints": {**required, "minimum": 0, "maximum": 1},
        },
        {"name": "model_version", "type": "string", "constraints": required},
        {"name": "run_id", "type": "string", "description": "Classification run"},
        {"name": "suggestion_id", "type": "string", "constraints": required},
        {"name": "suggested_at", "type": "datetime", "description": "UTC"},
        {
            "name": "decision_status",
            "type": "string",
            "description": "Review: undecided until a decision concluded it (four-eyes: two)",
            "constraints": {**required, "enum": list(DECISION_STATUSES.values())},
        },
        {
            "name": "decided_labels",
            "type": "array",
            "description": "Labels the concluding decision set (empty: undecided or rejected)",
        },
        {"name": "decided_by", "type": "string", "description": "Concluding reviewer"},
        {"name": "decided_at", "type": "datetime", "description": "UTC"},
        {"name": "evidence_urls", "type": "array", "description": "Pages of the evidence"},
    ]


CLASSIFICATIONS = ExportKind(
    name="classifications",
    columns=COLUMNS,
    primary_key=tuple(PRIMARY_KEY),
    parquet_types={"valid_from": "date", "valid_to": "date", "decided_at": "timestamp"},
    fields=classification_fields,
)
SUGGESTIONS = ExportKind(
    name="suggestions",
    columns=SUGGESTION_COLUMNS,
    primary_key=("cluster_id", "dimension"),
    parquet_types={"score": "double", "suggested_at": "timestamp", "decided_at": "timestamp"},
    fields=suggestion_fields,
)
KINDS = {kind.name: kind for kind in (CLASSIFICATIONS, SUGGESTIONS)}
EXPORT_FILES = {f"{kind}.{ext}" for kind in KINDS for ext, _ in FORMATS.values()} | {PACKAGE_FILE}


def table_schema(fmt: str, taxonomy: Taxonomy, kind: ExportKind = CLASSIFICATIONS) -> dict:
    """Frictionless Table Schema of the export in `fmt`. A list is an `array` field in JSON and
    in Parquet (written as JSON text there, the lexical form Table Schema defines for arrays),
    and a ';'-joined `string` in CSV."""
    fields = []
    for field in kind.fields(taxonomy):
        if field["name"] in LIST_COLUMNS:
            field = dict(field)
            if fmt == "csv":
                field.update(type="string", description=f"{field['description']}, joined by ';'")
            elif fmt == "parquet":
                field["description"] += " (a JSON array of strings, as text)"
        fields.append(field)
    return {"fields": fields, "primaryKey": list(kind.primary_key), "missingValues": [""]}


def _file_facts(path: Path, fmt: str) -> dict[str, Any]:
    """Frictionless `bytes` and `hash` of a written file: a reader can check that the
    descriptor and the data belong together. Parquet gets the hash only: frictionless reads
    Parquet past its byte counter and would report any `bytes` as wrong."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    facts: dict[str, Any] = {"hash": f"sha256:{digest.hexdigest()}"}
    if fmt != "parquet":
        facts = {"bytes": path.stat().st_size, **facts}
    return facts


def _resource(
    kind: ExportKind, fmt: str, scope: str, rows: int, taxonomy: Taxonomy
) -> dict[str, Any]:
    extension, mediatype = FORMATS[fmt]
    if kind is SUGGESTIONS:
        what = f"One row per (cluster, dimension): the rank-1 suggestion of {scope}"
        title = f"Rank-1 suggestions of {scope} with their review status"
    else:
        what = f"One row per effective (cluster, dimension, label) on {scope}"
        title = f"Effective classifications on {scope}"
    description = f"{what}; {rows} rows; exported by clusterradar {__version__}."
    if fmt == "csv":
        description += (
            " Cells starting with = + - @ tab or CR carry a leading ' so spreadsheets do not "
            "run them as formulas; drop it to get the original text."
        )
    resource = {
        "name": f"{kind.name}-{fmt}",
        "path": f"{kind.name}.{extension}",
        "title": title,
        "description": description,
        "format": extension,
        "mediatype": mediatype,
        "schema": table_schema(fmt, taxonomy, kind),
    }
    if fmt in ("csv", "json"):
        resource["encoding"] = "utf-8"
    if fmt == "csv":
        resource["profile"] = "tabular-data-resource"
        resource["dialect"] = {"delimiter": ",", "header": True, "doubleQuote": True}
    return resource


def _existing_resources(out_dir: Path, replacing: str) -> list[dict[str, Any]]:
    """Resources of an earlier export in the same folder (other formats or kinds) that still
    exist."""
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
    stems = {str(r.get("path", "")).split(".")[0] for r in resources}
    return {
        "profile": "tabular-data-package"
        if all(r.get("format") == "csv" for r in resources)
        else "data-package",
        "name": f"clusterradar-{stems.pop()}" if len(stems) == 1 else "clusterradar-export",
        "title": "Clusterradar: SVI / dual-use classification of German cluster initiatives",
        "created": utcnow().replace(microsecond=0).isoformat() + "Z",
        "licenses": LICENSES,
        "sources": SOURCES_OF_DATA,
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
    earlier exports of other formats (and of suggestions) in the same folder. The new folder
    contents are built beside `out_dir` and swapped in at once, so a reader (or a kill at any
    moment) sees the previous export or the new one, each with its own matching descriptor.
    """
    as_of = as_of or clock.today()

    def rows(taxonomy: Taxonomy) -> list[dict[str, Any]]:
        return classification_rows(con, as_of, taxonomy)

    result = _export(CLASSIFICATIONS, rows, as_of.isoformat(), out_dir, fmt, force, taxonomy)
    result.as_of = as_of
    return result


def export_suggestions(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | str,
    fmt: str,
    quarter: Quarter,
    force: bool = False,
    *,
    taxonomy: Taxonomy | None = None,
) -> ExportResult:
    """Write `suggestions.<ext>` (the quarter's rank-1 suggestions, see :func:`suggestion_rows`)
    and `datapackage.json` into `out_dir`, with the same refusals and the same all-at-once
    swap as :func:`export_classifications`."""

    def rows(taxonomy: Taxonomy) -> list[dict[str, Any]]:
        return suggestion_rows(con, quarter, taxonomy)

    scope = f"quarter {quarter}"
    result = _export(SUGGESTIONS, rows, scope, out_dir, fmt, force, taxonomy)
    result.as_of, result.quarter = quarter.as_of, str(quarter)
    return result


def _export(
    kind: ExportKind,
    make_rows: Callable[[Taxonomy], list[dict[str, Any]]],
    scope: str,
    out_dir: Path | str,
    fmt: str,
    force: bool,
    taxonomy: Taxonomy | None,
) -> ExportResult:
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if taxonomy is None:
        taxonomy = load_taxonomy()
    requested = Path(out_dir)
    out_dir = requested.resolve()
    _check_out_dir(out_dir)
    name = f"{kind.name}.{FORMATS[fmt][0]}"
    if (out_dir / name).exists() and not force:
        raise InputError(f"{requested / name} already exists; use --force to overwrite it")
    rows = make_rows(taxonomy)
    try:
        staging = staging_folder(out_dir)
    except OSError as exc:
        raise InputError(
            f"--out: cannot create a folder beside {requested} ({exc.strerror}); an export "
            "is built next to its folder and swapped in, so it needs write access there"
        ) from None
    try:
        _WRITERS[fmt](kind, rows, staging / name)
        resources = []
        for resource in _existing_resources(out_dir, name):
            kept = out_dir / resource["path"]
            try:
                os.link(kept, staging / kept.name)  # files are never changed in place
            except OSError:
                shutil.copy2(kept, staging / kept.name)
            resources.append(resource)
        resource = _resource(kind, fmt, scope, len(rows), taxonomy)
        resources.append({**resource, **_file_facts(staging / name, fmt)})
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
        as_of=clock.today(),
        fmt=fmt,
        kind=kind.name,
    )
