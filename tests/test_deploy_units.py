"""The systemd units in deploy/ and gunicorn.conf.py: what they run exists, and they stop well.

`systemd-analyze verify` checks the syntax where systemd is installed (see docs/operations.md);
these tests check what it cannot: that each ExecStart names a command this project provides,
and that every service restarts, stops gracefully and runs confined.
"""

import ast
import configparser
import runpy
import shlex
from importlib import metadata
from pathlib import Path

import pytest
from gunicorn.config import KNOWN_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SERVICES = sorted(DEPLOY.glob("*.service"))
#: Where the units expect the checkout and its virtualenv.
INSTALL = "/opt/wenxu"
VENV_BIN = f"{INSTALL}/.venv/bin/"


def read_unit(path: Path) -> configparser.ConfigParser:
    # strict=False: systemd allows a key more than once (the last wins, or they add up).
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(path, encoding="utf-8")
    return unit


def exec_start(path: Path) -> list[str]:
    return shlex.split(read_unit(path)["Service"]["ExecStart"])


def test_the_expected_units_are_there():
    names = {path.name for path in DEPLOY.iterdir()}
    assert {
        "wenxu.target",
        "wenxu-web.service",
        "wenxu-worker@.service",
        "wenxu-scheduler.service",
        "wenxu.env.example",
    } <= names


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_every_service_restarts_and_stops_within_a_bound(path):
    service = read_unit(path)["Service"]
    assert service.get("Restart") in {"always", "on-failure"}
    assert int(service["RestartSec"]) > 0
    assert int(service["TimeoutStopSec"]) > 0
    # SIGTERM to the main process only; its children are its own
    # to stop (gunicorn's workers, RQ's work horse). SIGKILL to all only after TimeoutStopSec.
    assert service["KillMode"] == "mixed"
    assert service["KillSignal"] in {"SIGTERM", "SIGINT"}


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_every_service_runs_confined_as_wenxu(path):
    unit = read_unit(path)
    service = unit["Service"]
    assert service["User"] == "wenxu"
    assert service["WorkingDirectory"] == INSTALL
    assert service["EnvironmentFile"] == "/etc/wenxu/wenxu.env"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert f"{INSTALL}/instance" in service["ReadWritePaths"].split()
    assert unit["Unit"]["PartOf"] == "wenxu.target"
    assert unit["Install"]["WantedBy"] == "wenxu.target"


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_exec_start_is_a_command_this_project_installs(path):
    argv = exec_start(path)
    assert argv[0].startswith(VENV_BIN), f"{argv[0]} is not in the installation's virtualenv"
    script = argv[0].removeprefix(VENV_BIN)
    scripts = {entry.name for entry in metadata.entry_points(group="console_scripts")}
    assert script in scripts, f"no installed package provides {script}"
    assert script in {"gunicorn", "flask"}


def test_the_web_unit_runs_gunicorn_with_the_conf_file_and_the_wsgi_app():
    argv = exec_start(DEPLOY / "wenxu-web.service")
    assert argv[1:] == ["-c", "gunicorn.conf.py", "wsgi:app"]
    assert (ROOT / "gunicorn.conf.py").is_file()
    module, _, name = argv[-1].partition(":")
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert name in assigned


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("wenxu-worker@.service", ["jobs", "worker"]),
        ("wenxu-scheduler.service", ["jobs", "scheduler"]),
    ],
)
def test_the_job_units_run_a_flask_command_of_the_app(app, unit, command):
    argv = exec_start(DEPLOY / unit)
    assert argv[1:] == command
    assert "FLASK_APP=wsgi.py" in read_unit(DEPLOY / unit)["Service"]["Environment"].split()
    group = app.cli
    for name in command:
        assert name in group.commands, f"`flask {' '.join(command)}` does not exist"
        group = group.commands[name]


def test_a_worker_stop_waits_long_enough_for_a_batch_of_messages():
    """RQ's warm shutdown finishes the job running; a 50-message batch needs up to two minutes."""
    service = read_unit(DEPLOY / "wenxu-worker@.service")["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 120


def test_the_web_unit_outlasts_gunicorns_graceful_timeout(monkeypatch):
    for name in ("WEB_BIND", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    service = read_unit(DEPLOY / "wenxu-web.service")["Service"]
    assert int(service["TimeoutStopSec"]) > settings["graceful_timeout"]


def test_gunicorn_conf_sets_only_known_settings_and_never_logs_query_strings(monkeypatch):
    for name in ("WEB_BIND", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    ours = {key for key in settings if not key.startswith("_") and key != "os"}
    known = {setting.name for setting in KNOWN_SETTINGS}
    assert ours <= known, f"not gunicorn settings: {sorted(ours - known)}"
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert 1 <= settings["workers"] <= 9
    assert settings["timeout"] == 30
    assert settings["preload_app"] is False
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert "forwarded_allow_ips" not in settings  # gunicorn's default until proxies are settled
    # %(r)s is the request line with its query, %(q)s the query, %(f)s a whole referring URL:
    # any of them would write API keys and tokens into the log.
    for atom in ("%(r)s", "%(q)s", "%(f)s", "{query_string}e", "{raw_uri}e"):
        assert atom not in settings["access_log_format"].lower()
    assert "%(U)s" in settings["access_log_format"]


def test_gunicorn_conf_reads_the_bind_and_the_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.delenv("WEB_BIND", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:8123"]
    assert settings["workers"] == 3
    monkeypatch.setenv("WEB_BIND", "0.0.0.0:9000, unix:/run/wenxu/web.sock")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["0.0.0.0:9000", "unix:/run/wenxu/web.sock"]
