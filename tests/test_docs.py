"""The README stays true: its reference is the generated one, its scenarios exist and run."""

import re

import pytest

from simulation import load_scenario, run
from simulation.reference import scenario_reference_markdown

from helpers import ROOT, SCENARIOS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_reference_is_the_generated_one():
    match = re.search(r"<!-- reference:start -->\n(.*)<!-- reference:end -->", README, re.S)
    assert match, "README lacks the reference markers"
    assert match.group(1) == scenario_reference_markdown(), (
        "README reference is stale: regenerate it with `make reference`"
    )


def test_readme_lists_every_shipped_scenario():
    for path in SCENARIOS.glob("*.toml"):
        assert f"`{path.name}`" in README, f"README does not describe {path.name}"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_runs(path):
    scenario = load_scenario(path)
    short = scenario.replace({"duration_s": scenario.warmup_s + 5.0})
    summary = run(short).summary()
    assert summary["deliveries"] > 0


def test_readme_commands_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo:", "test:"):
        assert target in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
