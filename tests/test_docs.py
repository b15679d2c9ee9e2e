"""The docs and the CLI are one product: the generated CLI reference matches the Typer app, every
command shown in the docs exists with the options it is shown with, every command has an example
on the page that explains it, and the data-model and configuration pages name every table and
setting. `make docs` builds the site strictly (links, anchors, navigation)."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from clusterradar.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATOR = DOCS / "gen_cli_reference.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_cli_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


# -- commands in code blocks ---------------------------------------------------------------

FENCE = re.compile(r"^(\s*)(```|~~~)")
GLOBAL_WITH_VALUE = {"--db", "--config"}
SEPARATORS = {"&&", "||", "|", ";", "&"}


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) inside fenced code blocks, continuation lines joined."""
    lines, inside, pending, start = [], False, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append((start, pending + line))
        pending = ""
    return lines


def invocations(text: str) -> list[tuple[int, list[str]]]:
    """Every `clusterradar ...` call in the page's code blocks: (line, arguments after it)."""
    found = []
    for number, line in _code_lines(text):
        stripped = line.strip()
        if stripped.startswith("$ "):
            stripped = stripped[2:]
        if "clusterradar" not in stripped or stripped.startswith("#"):
            continue
        try:
            tokens = shlex.split(stripped, comments=True)
        except ValueError:
            continue  # program output, not a command
        segment: list[str] = []
        for token in [*tokens, ";"]:
            if token not in SEPARATORS:
                segment.append(token)
                continue
            while segment and (re.match(r"^[A-Z_][A-Z0-9_]*=", segment[0]) or segment[0] == "time"):
                segment.pop(0)
            if segment and Path(segment[0]).name == "clusterradar":
                found.append((number, segment[1:]))
            segment = []
    return found


@functools.cache
def _root():
    return typer.main.get_command(app)


def resolve(arguments: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The command path an argument list names, and its problems (unknown command or option)."""
    command = _root()
    path: list[str] = []
    problems: list[str] = []
    args = list(arguments)
    while args:
        token = args.pop(0)
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
            known |= {"--help", "-h"}
            if name not in known:
                problems.append(f"unknown option {name} of 'clusterradar {' '.join(path)}'")
            elif not path and name in GLOBAL_WITH_VALUE and "=" not in token and args:
                args.pop(0)
            continue
        commands = getattr(command, "commands", None)
        if commands is None:
            continue  # an argument of a leaf command
        if token not in commands:
            problems.append(f"unknown command '{token}' after 'clusterradar {' '.join(path)}'")
            break
        command = commands[token]
        path.append(token)
    return tuple(path), problems


def test_cli_reference_page_matches_the_typer_app():
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_stale_cli_reference_page_is_reported_in_one_line(tmp_path):
    stale = tmp_path / "cli-reference.md"
    stale.write_text((DOCS / "cli-reference.md").read_text().replace("--max-pages", "--pages"))
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--path", str(stale)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "stale" in done.stderr and "make cli-reference" in done.stderr


def test_every_command_in_the_docs_exists_with_the_options_shown():
    problems = []
    current = [page for page in _pages() if "decisions" not in page.relative_to(DOCS).parts]
    for page in [*current, ROOT / "README.md"]:
        for number, arguments in invocations(page.read_text(encoding="utf-8")):
            for problem in resolve(arguments)[1]:
                problems.append(f"{page.relative_to(ROOT)}:{number}: {problem}")
    assert problems == []


def test_the_checker_catches_an_unknown_command_and_an_unknown_option():
    text = (
        "```bash\n"
        "clusterradar --db x.duckdb crawl sites --max-page 3\n"
        "clusterradar crawl site\n"
        "```\n"
    )
    problems = [p for _, arguments in invocations(text) for p in resolve(arguments)[1]]
    assert problems == [
        "unknown option --max-page of 'clusterradar crawl sites'",
        "unknown command 'site' after 'clusterradar crawl'",
    ]


def test_every_command_has_an_example_on_the_page_that_explains_it():
    missing = []
    for key, page in _generator().EXPLAINED_IN.items():
        command = _root()
        for name in key.split():
            command = command.commands[name]
        if getattr(command, "commands", None) is not None:
            continue  # groups are explained by their commands
        text = (DOCS / page).read_text(encoding="utf-8")
        shown = {resolve(arguments)[0] for _, arguments in invocations(text)}
        if tuple(key.split()) not in shown:
            missing.append(f"clusterradar {key} (docs/{page})")
    assert missing == []


def test_every_table_and_view_of_the_migrations_is_on_the_data_model_page():
    page = (DOCS / "data-model.md").read_text(encoding="utf-8")
    names = {
        match.group(2)
        for sql in sorted((ROOT / "warehouse" / "migrations").glob("*.sql"))
        for match in re.finditer(r"CREATE\s+(TABLE|VIEW)\s+(\w+)", sql.read_text(), re.I)
    }
    assert names, "no migrations found"
    assert sorted(name for name in names if f"`{name}`" not in page) == []


def test_every_setting_is_on_the_configuration_page(cli):
    result = cli("config", "show", "--json")
    assert result.exit_code == 0
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    keys = []
    for key, value in json.loads(result.stdout).items():
        keys += [f"{key}.{sub}" for sub in value] if isinstance(value, dict) else [key]
    assert sorted(key for key in keys if f"`{key}`" not in page) == []


def test_readme_is_a_front_door_with_the_two_quick_start_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    assert "make demo" in readme and "make test" in readme
    targets = re.findall(r"\]\((?!https?:|#)([^)#\s]+)", readme)
    assert targets, "the README links into the docs"
    assert [target for target in targets if not (ROOT / target).exists()] == []


def test_decision_records_are_numbered_once_and_dated():
    records = sorted((DOCS / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    numbers = [record.name[:4] for record in records]
    assert len(records) >= 3 and len(numbers) == len(set(numbers))
    for record in records:
        head = record.read_text(encoding="utf-8").splitlines()[:10]
        assert head[0].startswith("# "), f"{record.name}: starts with its title"
        dated = [line for line in head if re.search(r"Date:\W*\d{4}-\d{2}-\d{2}", line)]
        assert dated, f"{record.name}: a 'Date: YYYY-MM-DD' line under the title"


@pytest.mark.slow
def test_docs_site_builds_strictly(tmp_path):
    done = subprocess.run(
        [Path(sys.executable).with_name("mkdocs"), "build", "--strict", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "decisions" / "0003-ordinal-and-nested-heads" / "index.html").is_file()
