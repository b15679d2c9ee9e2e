"""A small warehouse with suggestions to review (used by every review test), and the queue order
it must produce."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from clusterradar.review import auth
from clusterradar.review.pages import load_pending
from clusterradar.settings import ReviewSettings, Settings
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import record_version

HOSTILE = (
    "Wir liefern Systeme für die Bundeswehr. <script>alert(1)</script> "
    '<img src=x onerror="alert(2)">'
)
PASSWORD = "correct horse battery"
_ids = itertools.count(1)
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only


@dataclass(slots=True)
class Seeded:
    """Ids of what `seed_warehouse` wrote."""

    db: Path
    suggestions: dict[str, str] = field(default_factory=dict)  # 'cluster/dimension/label' -> id
    snapshot_id: str = ""

    def sid(self, key: str) -> str:
        return self.suggestions[key]


def add_cluster(con, cluster_id: str, name: str, lands: list[str], website: str | None) -> None:
    now = dt.datetime(2026, 1, 1)
    con.execute(
        """INSERT INTO clusters (cluster_id, name, bundeslaender, website, origin, first_seen,
           last_seen) VALUES (?, ?, ?, ?, 'paper', ?, ?)""",
        [cluster_id, name, lands, website, now, now],
    )


def add_run(
    con,
    run_id: str,
    *,
    quarter: str = "2026Q3",
    finished: bool = True,
    finished_at: dt.datetime = dt.datetime(2026, 10, 1, 9),
) -> None:
    con.execute(
        """INSERT INTO classification_runs (run_id, quarter, started_at, finished_at, status,
           model_version, code_version, training_data_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run_id,
            quarter,
            finished_at - dt.timedelta(hours=1),
            finished_at if finished else None,
            "finished" if finished else "running",
            f"model-{run_id}",
            "0.1.0",
            "hash1",
        ],
    )


def add_suggestion(
    con,
    run_id: str,
    cluster_id: str,
    dimension: str,
    label: str,
    score: float,
    rank: int,
    evidence: list[tuple[str | None, str | None, str]] = (),
) -> str:
    suggestion_id = f"s{next(_ids):05d}"
    con.execute(
        """INSERT INTO suggestions VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hash1', ?)""",
        [
            suggestion_id,
            run_id,
            cluster_id,
            dimension,
            label,
            score,
            rank,
            f"model-{run_id}",
            dt.datetime(2026, 10, 1, 9),
        ],
    )
    for position, (url, snapshot_id, passage) in enumerate(evidence, start=1):
        con.execute(
            "INSERT INTO suggestion_evidence VALUES (?, ?, ?, ?, ?, ?, ?)",
            [suggestion_id, position, url, snapshot_id, passage, "lexicon: Bundeswehr", 0.7],
        )
    return suggestion_id


def add_snapshot(
    con, snapshot_id: str, cluster_id: str, url: str, text: str, final_url: str | None = None
) -> None:
    con.execute(
        "INSERT INTO page_bodies (content_hash, body) VALUES (?, ?)",
        [f"hash-{snapshot_id}", b"<html><body><script>alert('raw')</script></body></html>"],
    )
    con.execute(
        """INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, final_url,
           fetched_at, http_status, content_type, content_hash, page_kind, title, extracted_text,
           language) VALUES (?, 'crawl1', ?, ?, ?, ?, 200, 'text/html', ?, 'about', ?, ?, 'de')""",
        [
            snapshot_id,
            cluster_id,
            url,
            final_url or url,
            dt.datetime(2026, 9, 30, 12),
            f"hash-{snapshot_id}",
            "Über uns <b>Titel</b>",
            text,
        ],
    )


def seed_warehouse(db: Path) -> Seeded:
    """Four clusters, three with a paper classification, and one finished run of suggestions:

    cyberforum/intensity differs from the paper label (0.82); photonics-bw agrees but is
    uncertain (0.55); newco has no classification at all; aviaspace is merely confirmed (0.90);
    cyberforum/svi_domains was never classified (three ranked labels).
    """
    seeded = Seeded(db=db, snapshot_id="snap-hostile")
    with connect(db) as con, transaction(con):
        add_cluster(
            con, "cyberforum", "CyberForum e. V.", ["baden-wuerttemberg"], "https://cyberforum.de/"
        )
        add_cluster(
            con,
            "photonics-bw",
            "Photonics BW e. V.",
            ["baden-wuerttemberg"],
            "https://photonicsbw.de/",
        )
        add_cluster(con, "newco", "Neues Cluster Bayern", ["bayern"], "javascript:alert(3)")
        add_cluster(
            con, "aviaspace", "AVIASPACE Bremen e. V.", ["bremen"], "https://aviaspace-bremen.de/"
        )
        paper = {
            "cyberforum": "balanced_dual_use",
            "photonics-bw": "primarily_civil_security_relevant",
            "aviaspace": "balanced_dual_use",
        }
        for cluster_id, label in paper.items():
            record_version(
                con,
                cluster_id=cluster_id,
                dimension="intensity",
                labels=[label],
                valid_from=dt.date(2026, 1, 1),
                source="paper",
                source_ref="paper-table-2",
            )
        add_snapshot(con, "snap-hostile", "cyberforum", "https://cyberforum.de/ueber-uns", HOSTILE)
        add_run(con, "r1")
        add_run(con, "r0-running", finished=False)
        s = seeded.suggestions
        s["cyberforum/intensity/primarily_security"] = add_suggestion(
            con,
            "r1",
            "cyberforum",
            "intensity",
            "primarily_security",
            0.82,
            1,
            [
                ("https://cyberforum.de/ueber-uns", "snap-hostile", HOSTILE),
                ("javascript:alert(4)", None, "Verteidigung und Cyberabwehr"),
            ],
        )
        s["cyberforum/intensity/balanced_dual_use"] = add_suggestion(
            con, "r1", "cyberforum", "intensity", "balanced_dual_use", 0.15, 2
        )
        s["photonics-bw/intensity/primarily_civil_security_relevant"] = add_suggestion(
            con,
            "r1",
            "photonics-bw",
            "intensity",
            "primarily_civil_security_relevant",
            0.55,
            1,
            [("https://photonicsbw.de/", None, "Photonik für Sensorik und Sicherheit")],
        )
        s["newco/intensity/civil_base_technology"] = add_suggestion(
            con, "r1", "newco", "intensity", "civil_base_technology", 0.70, 1
        )
        s["aviaspace/intensity/balanced_dual_use"] = add_suggestion(
            con, "r1", "aviaspace", "intensity", "balanced_dual_use", 0.90, 1
        )
        for rank, (label, score) in enumerate(
            [
                ("digital_sovereignty", 0.90),
                ("finance_economic_systems", 0.60),
                ("health_biotech", 0.10),
            ],
            start=1,
        ):
            s[f"cyberforum/svi_domains/{label}"] = add_suggestion(
                con,
                "r1",
                "cyberforum",
                "svi_domains",
                label,
                score,
                rank,
                [("https://cyberforum.de/themen", None, f"Passage zu {label}")],
            )
        # a suggestion of an unfinished run never reaches the queue
        add_suggestion(con, "r0-running", "newco", "function_logic", "protection_defence", 0.99, 1)
        for name in ("anna", "ben", "carla"):
            auth.create_user(con, name, PASSWORD, is_admin=name == "anna", hasher=CHEAP_HASHER)
    return seeded


def settings_for(db: Path, **review) -> Settings:
    settings = Settings(db=db)
    settings.review = ReviewSettings(**review)
    return settings


@pytest.fixture
def seeded(db_path: Path) -> Seeded:
    return seed_warehouse(db_path)


def test_queue_puts_differing_first_then_uncertain_then_new_then_unclassified_then_confirming(
    seeded: Seeded,
):
    with connect(seeded.db) as con:
        items = load_pending(con, ReviewSettings())
    order = [(i.candidate.cluster_id, i.candidate.dimension, i.reason) for i in items]
    assert order == [
        ("cyberforum", "intensity", "differs"),
        ("photonics-bw", "intensity", "low_confidence"),
        ("newco", "intensity", "new_cluster"),
        ("cyberforum", "svi_domains", "unclassified"),
        ("aviaspace", "intensity", "confirms"),
    ]
    assert items[0].current_labels == ["balanced_dual_use"]
    assert items[3].suggestion_id == seeded.sid("cyberforum/svi_domains/digital_sovereignty")
