"""The hostile-input corpus (tests/hostile/): every input gets a clear answer.

Each ``tests/hostile/*.toml`` scenario says in its first comment lines what stderr must
hold (``# expect: a | b``), and, when not the defaults, the exit status (``# exit: 0``)
and the command (``# command: validate``; default ``run --quiet``). ``cases.toml`` holds
command lines and files that cannot carry a comment. Each input runs through
``simulation.cli.main`` in this process, and a few through ``python -m simulation``. A bad
input must give exit status 2, one line on stderr naming the file and what is wrong, no
traceback, and an answer within seconds.
"""

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from simulation.cli import main

from helpers import ROOT

HOSTILE = Path(__file__).parent / "hostile"
TIME_LIMIT_S = 20  # generous for a shared 2-core machine; a hang is what this catches


def _header(path: Path) -> dict[str, str]:
    fields = {}
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("#"):
                break
            key, _, value = line[1:].partition(":")
            fields[key.strip()] = value.strip()
    return fields


def _file_cases() -> list:
    cases = []
    for path in sorted(HOSTILE.glob("*.toml")):
        if path.name == "cases.toml":
            continue
        header = _header(path)
        if "expect" not in header:
            continue  # used by cases.toml
        command = header.get("command", "run")
        args = [command, path.name] + (["--quiet"] if command == "run" else [])
        expect = [text.strip() for text in header["expect"].split("|") if text.strip()]
        exit_status = int(header.get("exit", "2"))
        if exit_status == 2:
            expect.insert(0, path.name)  # the answer names the file
        cases.append(pytest.param(args, exit_status, expect, 1, id=path.stem))
    return cases


def _command_cases() -> list:
    table = tomllib.loads((HOSTILE / "cases.toml").read_text(encoding="utf-8"))
    cases = []
    for index, case in enumerate(table["case"]):
        exit_status = case.get("exit", 2)
        lines = case.get("lines", 1 if exit_status == 2 else -1)
        name = f"{index:02d}-" + "-".join(a.strip("-/{}") for a in case["args"][:3])
        cases.append(
            pytest.param(case["args"], exit_status, case.get("expect", []), lines, id=name)
        )
    return cases


class _TooSlow(Exception):
    pass


def _alarm(_signum, _frame):
    raise _TooSlow(f"no answer within {TIME_LIMIT_S} s")


@pytest.mark.parametrize(
    ("args", "exit_status", "expect", "lines"), _file_cases() + _command_cases()
)
def test_every_input_gets_a_clear_answer(
    args, exit_status, expect, lines, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(HOSTILE)
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        try:
            status = main(args)
        except SystemExit as error:  # argparse's own errors
            status = error.code
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert status == exit_status, err
    for text in expect:
        assert text in err, f"{text!r} not in {err!r}"
    if lines >= 0:
        assert len(err.strip().splitlines()) == (lines if exit_status == 2 else 0), err
    if exit_status == 2 and lines == 1:
        assert err.startswith("rtsim: error: ")


def test_the_corpus_is_large():
    assert len(_file_cases()) + len(_command_cases()) >= 80


def test_save_never_writes_outside_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(HOSTILE)
    inside = tmp_path / "a" / "b" / "tables"
    args = ["run", "-q", "name-traversal.toml", "name-slash.toml", "--save", str(inside)]
    assert main(args) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv"))
    assert written == [
        f"a/b/tables/{folder}/{table}.csv"
        for folder in ("a_b", "x")
        for table in ("connections", "deliveries", "transfers", "updates")
    ]


def _rtsim(*args, **kwargs):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "simulation", *args],
        cwd=HOSTILE,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["run", "deep-nesting.toml"], "nested too deeply"),
        (["run", "payload-1e300.toml"], "workload.payload_bytes"),
        (["run", "clients-1e12.toml"], "too large"),
        (["validate", "trace-inf-payload.toml"], "finite"),
        (["run", "bom.toml"], "byte order mark"),
    ],
)
def test_the_real_entry_point_answers_in_one_line(args, expect):
    process = _rtsim(*args)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and expect in err, err


def test_verbose_after_the_command_logs():
    process = _rtsim("run", "-v", "ok.toml")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "INFO simulation.runner: ran ok" in err


def test_a_closed_pipe_ends_quietly():
    process = _rtsim("list", "--keys")
    process.stdout.close()  # like `| head` that has read enough
    _err = process.stderr.read()
    process.wait(timeout=60)
    assert _err == ""
    assert process.returncode == 141


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    long_run = tmp_path / "long.toml"
    long_run.write_text('duration_s = 600.0\nclients = 2000\n[strategy]\nkind = "websocket"\n')
    # a shell's background job (nohup ... &) starts with SIGINT ignored, and a child
    # inherits that; a terminal's Ctrl-C reaches a process that has the default action
    process = _rtsim(
        "run", str(long_run), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    time.sleep(3.0)  # past the imports, into the run
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err == "rtsim: interrupted\n"
