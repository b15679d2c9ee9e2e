"""Registry matching by index gives the answers of the plain scan it replaced (issue 17).

The reference below is the scan over the known clusters in order, as ``warehouse/registry.py``
did it per entry before the index: the first free cluster with the entry's profile URL, else
the best website match among the free ones, else the first free one with the entry's name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from clusterradar.urls import match_website, normalise_name, normalise_url
from clusterradar.warehouse.registry import _Known, _Matcher


@dataclass
class Entry:
    name: str
    profile_url: str
    website: str | None
    bundeslaender: list[str] = field(default_factory=list)
    technologiefelder: list[str] = field(default_factory=list)
    foerdermassnahmen: list[str] = field(default_factory=list)
    go_cluster: bool = False


def scan(entry: Entry, known: list[_Known], claimed: set[str]) -> _Known | None:
    free = [k for k in known if k.cluster_id not in claimed]
    for k in free:
        if k.profile_url and normalise_url(k.profile_url) == normalise_url(entry.profile_url):
            return k
    if entry.website:
        hit = match_website(entry.website, [(k.cluster_id, k.website or "") for k in free])
        if hit:
            return next(k for k in free if k.cluster_id == hit)
    wanted = normalise_name(entry.name)
    for k in free:
        if wanted and wanted in {normalise_name(n) for n in [k.name, *k.alt_names]}:
            return k
    return None


HOSTS = [
    "https://cluster-a.de",
    "http://www.cluster-a.de",
    "https://shared-host.de",
    "https://b.de",
]
PATHS = ["", "/", "/photonik", "/photonik/netz", "/sensorik", "/Photonik/"]
NAMES = ["Photonik Netz e.V.", "photonik netz", "Sensorik GmbH", "Sensorik", "Luftfahrt NRW", ""]


def _url(rng: random.Random) -> str:
    return rng.choice(HOSTS) + rng.choice(PATHS)


def test_indexed_matching_answers_as_the_scan_in_known_order_on_random_registries():
    rng = random.Random(17)
    for _ in range(300):
        known = [
            _Known(
                cluster_id=f"c{i}",
                name=rng.choice(NAMES[:-1]),
                alt_names=rng.sample(NAMES[:-1], rng.randint(0, 2)),
                website=rng.choice([None, _url(rng)]),
                profile_url=rng.choice([None, f"https://registry.example/p/{rng.randint(0, 6)}"]),
                origin=rng.choice(["registry", "paper"]),
                bundeslaender=[],
                go_cluster=None,
            )
            for i in range(rng.randint(0, 12))
        ]
        matcher = _Matcher(list(known))
        claimed = {k.cluster_id for k in known if rng.random() < 0.3}
        for _ in range(8):
            entry = Entry(
                name=rng.choice(NAMES),
                profile_url=f"http://registry.example/p/{rng.randint(0, 8)}",
                website=rng.choice([None, _url(rng)]),
            )
            expected = scan(entry, matcher.known, claimed)
            found = matcher.match(entry, claimed)
            assert (found and found.cluster_id) == (expected and expected.cluster_id), entry
            if found is not None:
                claimed.add(found.cluster_id)
            elif rng.random() < 0.5:  # a new cluster joins the known ones, as upsert does
                new = _Known(f"n{len(matcher.known)}", entry.name, [], entry.website,
                             entry.profile_url, "registry", [], None)  # fmt: skip
                matcher.add(new)
                claimed.add(new.cluster_id)
