"""Shared CLI options have one spelling everywhere; the old spellings still work for a release.

The spellings live in ``clusterradar/options.py``: ``--cluster/-c`` for cluster ids,
``--no-progress`` for progress bars, ``--labels-file`` for the labelled-clusters YAML.
"""

from __future__ import annotations

import pytest
import typer

from clusterradar.cli import app

OLD_SPELLINGS = {"--clusters", "--quiet", "-q"}


def visible_options(command, path: str = ""):
    """(command path, option) for every option a user sees in --help, across the command tree."""
    if hasattr(command, "commands"):  # a group (typer ships its own click)
        for name, sub in command.commands.items():
            yield from visible_options(sub, f"{path} {name}".strip())
        return
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            for spelling in (*param.opts, *param.secondary_opts):
                yield path, spelling


def test_no_command_shows_an_old_spelling_in_its_help():
    shown = list(visible_options(typer.main.get_command(app)))
    assert shown, "the command tree was not walked"
    old = [(path, flag) for path, flag in shown if flag in OLD_SPELLINGS]
    assert old == []


def test_every_command_that_narrows_to_clusters_spells_it_cluster_and_c():
    by_command: dict[str, set[str]] = {}
    for path, flag in visible_options(typer.main.get_command(app)):
        by_command.setdefault(path, set()).add(flag)
    narrowing = {path for path, flags in by_command.items() if "--cluster" in flags}
    assert {"process", "run", "classify", "crawl sites"} <= narrowing
    assert all("-c" in by_command[path] for path in narrowing)


@pytest.mark.parametrize(
    ("args", "note"),
    [
        (["process", "--clusters", "no-such"], "note: --clusters is now spelled --cluster"),
        (["process", "-c", "no-such", "--quiet"], "note: --quiet is now spelled --no-progress"),
        (
            ["run", "--quarter", "2026Q4", "--clusters", "no-such", "--skip-registry"],
            "note: --clusters is now spelled --cluster",
        ),
    ],
)
def test_old_spellings_still_work_and_name_the_new_one(cli, labelled_db, args, note):
    result = cli("--db", labelled_db, *args)
    assert result.exit_code == 1
    assert note in result.stderr
    assert "error: --cluster: no cluster with id 'no-such'" in result.stderr


def test_old_labels_file_spelling_still_validates_the_file(cli, tmp_path):
    missing = tmp_path / "nope.yaml"
    new = cli("labels", "check", "--labels-file", missing)
    old = cli("labels", "check", "--clusters", missing)
    assert new.exit_code == old.exit_code != 0
    assert "note: --clusters is now spelled --labels-file" in old.stderr
