"""Settings precedence and the CLI's error contract (one line, non-zero exit, no traceback)."""

from pathlib import Path

import pytest

from clusterradar.errors import ConfigError
from clusterradar.settings import load_settings


def test_settings_precedence_defaults_file_env_flags(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text('db = "from-file.duckdb"\n[crawl]\nmax_pages = 7\nmax_depth = 2\n')
    env = {"CLUSTERRADAR_CRAWL_MAX_PAGES": "9", "CLUSTERRADAR_MODEL": "all-MiniLM-L6-v2"}
    settings = load_settings(config_file=config, environ=env, overrides={"crawl.max_depth": 5})
    assert settings.db == Path("from-file.duckdb")
    assert settings.crawl.max_pages == 9  # env beats file
    assert settings.crawl.max_depth == 5  # flag beats file
    assert settings.nlp.embedding_model == "all-MiniLM-L6-v2"
    assert settings.crawl.download_timeout == 20.0  # default kept


def test_unknown_setting_and_bad_value_are_config_errors(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text("[crawl]\nmax_pagez = 7\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'crawl\.max_pagez'"):
        load_settings(config_file=config, environ={})
    with pytest.raises(ConfigError, match="expected int"):
        load_settings(environ={"CLUSTERRADAR_CRAWL_MAX_PAGES": "many"})


def test_env_db_and_flag_db(tmp_path: Path):
    assert load_settings(environ={"CLUSTERRADAR_DB": "x.duckdb"}).db == Path("x.duckdb")
    flagged = load_settings(
        environ={"CLUSTERRADAR_DB": "x.duckdb"}, overrides={"db": tmp_path / "y"}
    )
    assert flagged.db == tmp_path / "y"


def test_config_show_prints_effective_values(cli, tmp_path: Path):
    result = cli("--db", tmp_path / "z.duckdb", "config", "show", "--json")
    assert result.exit_code == 0
    assert '"db": "' + str(tmp_path / "z.duckdb") + '"' in result.stdout


def test_cli_reports_missing_warehouse_in_one_line(cli, tmp_path: Path):
    missing = tmp_path / "missing.duckdb"
    result = cli("--db", missing, "history", "photonics-bw")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "clusterradar init" in lines[0]
    assert "Traceback" not in result.output
    assert not missing.exists()


def test_bad_config_file_is_one_line_error(cli, tmp_path: Path):
    config = tmp_path / "bad.toml"
    config.write_text("[crawl\n")
    result = cli("--config", config, "config", "show")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "cannot read TOML" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLUSTERRADAR_CRAWL_CONCURRENT_PER_DOMAIN", "0"),
        ("CLUSTERRADAR_CRAWL_MAX_PAGES", "0"),
        ("CLUSTERRADAR_CRAWL_DOWNLOAD_TIMEOUT", "-1"),
        ("CLUSTERRADAR_REVIEW_PORT", "99999"),
    ],
)
def test_out_of_range_values_are_refused_with_the_setting_named(name, value):
    dotted = name.removeprefix("CLUSTERRADAR_").lower().replace("_", ".", 1)
    with pytest.raises(ConfigError, match=f"setting {dotted} = .* is out of range"):
        load_settings(environ={name: value})


def test_ctrl_c_inside_a_duckdb_query_counts_as_an_interrupt():
    import duckdb

    from clusterradar.cli import is_interrupt

    assert is_interrupt(RuntimeError("Query interrupted"))
    assert is_interrupt(KeyboardInterrupt())
    assert is_interrupt(duckdb.InterruptException("INTERRUPT Error: Interrupted!"))
    assert not is_interrupt(RuntimeError("disk full"))


def test_sigint_to_a_running_command_exits_130_without_a_traceback(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    # a real process gets a real SIGINT while importing or loading the labels
    from clusterradar.warehouse import migrate

    db = tmp_path / "w.duckdb"
    migrate(db)
    script = Path(sys.executable).with_name("clusterradar")
    proc = subprocess.Popen(
        [str(script), "--db", str(db), "init"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    time.sleep(0.3)  # still importing or already loading labels: both must be quiet
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (0, 130)  # 0 only if it finished before the signal arrived
