import json
import os
import subprocess
import sys

import pytest

from simulation.cli import main
from simulation.cli.commands import _json_number

from helpers import ROOT, SCENARIOS

SHORT = 'duration_s = 20.0\nclients = 3\n[strategy]\nkind = "{kind}"\n'


@pytest.fixture
def two_files(tmp_path):
    paths = []
    for kind in ("short-polling", "websocket"):
        path = tmp_path / f"{kind}.toml"
        path.write_text(f'description = "test"\n{SHORT.format(kind=kind)}')
        paths.append(str(path))
    return paths


def test_run_prints_a_comparison_table(two_files, capsys):
    assert main(["run", *two_files]) == 0
    out = capsys.readouterr().out
    for text in ("short-polling", "websocket", "latency_p95_s", "empty_fraction", "wire_bytes"):
        assert text in out


def test_run_json_and_plot_and_save(two_files, tmp_path, capsys):
    plot = tmp_path / "out" / "latency.png"
    assert (
        main(
            [
                "run",
                *two_files,
                "--json",
                "--seed",
                "3",
                "--plot",
                str(plot),
                "--save",
                str(tmp_path / "tables"),
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert [entry["strategy"] for entry in payload] == ["short-polling", "websocket"]
    assert all(entry["seed"] == 3 for entry in payload)
    assert payload[1]["summary"]["requests"] == 3  # one upgrade request per client
    assert payload[1]["summary"]["empty_fraction"] == 0.0  # the 101 responses are not empty
    assert plot.stat().st_size > 1000 and plot.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "tables" / "websocket" / "deliveries.csv").exists()  # a folder each


def test_json_turns_nan_into_null():
    assert _json_number(float("nan")) is None
    assert _json_number(float("inf")) is None
    assert _json_number(2.5) == 2.5


def test_same_seed_gives_the_same_json(two_files, capsys):
    main(["run", two_files[0], "--json"])
    first = json.loads(capsys.readouterr().out)[0]["summary"]
    main(["run", two_files[0], "--json"])
    assert json.loads(capsys.readouterr().out)[0]["summary"] == first


def test_validate_and_list(two_files, capsys):
    assert main(["validate", *two_files]) == 0
    assert capsys.readouterr().out.count("ok: ") == 2
    assert main(["list", "--keys"]) == 0
    out = capsys.readouterr().out
    for text in ("short-polling", "lognormal", "half-duplex", "latency_s", "interval_s"):
        assert text in out


def test_validate_says_when_a_valid_file_is_too_large_to_run_here(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    path.write_text('clients = 2000000\nduration_s = 3600\n[strategy]\nkind = "short-polling"\n')
    assert main(["validate", str(path)]) == 0  # valid input: `rtsim run --force` runs it
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "note: " in out and "too large to run here" in out and "--force" in out


def test_bad_input_exits_2_with_one_clear_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[strategy]\nkind = "short-polling"\n[network]\nlatency_s = -1\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rtsim: error: ")
    assert "bad.toml" in err and "network.latency_s" in err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def _rtsim(*args):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        check=False,
    )


def test_module_entry_point_end_to_end(tmp_path):
    ok = _rtsim("validate", str(SCENARIOS / "default.toml"))
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "broken.toml"
    bad.write_text("this is = = not toml")
    failed = _rtsim("run", str(bad))
    assert failed.returncode == 2
    assert "invalid TOML" in failed.stderr and "broken.toml" in failed.stderr
    assert "Traceback" not in failed.stderr
    usage = _rtsim("run")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_top_level_keys_print_as_file_then_key(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('clients = 0\n[strategy]\nkind = "websocket"\n')
    assert main(["validate", str(path)]) == 2
    assert f"{path}: clients: must be >= 1, got 0" in capsys.readouterr().err


def test_an_interruption_prints_its_own_message(two_files, monkeypatch, capsys):
    class Interrupted(KeyboardInterrupt):
        pass

    def interrupted(*args, **kwargs):
        raise Interrupted("3 runs are stored in out/; run the same command with --resume")

    monkeypatch.setattr("simulation.cli.commands.run", interrupted)
    assert main(["run", two_files[0]]) == 130
    err = capsys.readouterr().err
    assert err == "rtsim: 3 runs are stored in out/; run the same command with --resume\n"


def test_a_missing_extra_is_named(monkeypatch, capsys):
    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'dask'", name="dask")

    monkeypatch.setattr("simulation.cli.commands.run", missing)
    assert main(["run", str(SCENARIOS / "default.toml"), "-q"]) == 2
    assert "pip install 'rtsim[dask]'" in capsys.readouterr().err


def test_outputs_are_checked_before_simulating(two_files, tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise AssertionError("simulated before checking the outputs")

    monkeypatch.setattr("simulation.cli.commands.run", fail)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", *two_files, "--plot", str(tmp_path / "x.txt")]) == 2
    assert main(["run", *two_files, "--save", str(blocker)]) == 2
    assert main(["run", *two_files, "--plot", str(blocker / "x.png")]) == 2
    assert capsys.readouterr().err.count("rtsim: error: ") == 3
