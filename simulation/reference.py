"""The scenario reference (every key, type, default, unit and source) as Markdown.

Generated from the same metadata the validator uses; the documentation embeds its output
between markers (``docs/reference.md``, ``docs/results.md``), ``make reference`` rewrites
it, and a test checks that the two agree (``rtsim list --keys --markdown`` prints it).
"""

from __future__ import annotations

from pathlib import Path

from .distributions import DISTRIBUTIONS
from .metrics import SUMMARY_METRICS
from .scenario import scenario_keys
from .schema import describe_section, is_section, list_item_type

__all__ = ["BLOCKS", "metrics_reference_markdown", "scenario_reference_markdown", "update_docs"]

# Each generated block: the page (from the repository root) that holds it between
# ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``, and the function that writes it.
BLOCKS = {
    "reference": ("docs/reference.md", lambda: scenario_reference_markdown()),
    "metrics": ("docs/results.md", lambda: metrics_reference_markdown()),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _key_rows(specs, prefix: str = "") -> list[str]:
    """One row per key; a nested table's or a list of tables' keys follow their key."""
    rows = []
    for spec in specs:
        unit = f" ({spec.unit})" if spec.unit else ""
        rows.append(
            f"| `{prefix}{spec.name}` | {spec.type_text()} | {_cell(spec.default_text())} | "
            f"{_cell(spec.range_text()) or 'any'} | {_cell(spec.doc)}{unit} | "
            f"{_cell(spec.source) or '-'} |"
        )
        item = list_item_type(spec.type)
        if item is not None and is_section(item):
            rows += _key_rows(describe_section(item), f"{prefix}{spec.name}[].")
        elif is_section(spec.type):
            rows += _key_rows(describe_section(spec.type), f"{prefix}{spec.name}.")
    return rows


def scenario_reference_markdown() -> str:
    blocks = []
    for table, specs in scenario_keys().items():
        title = "Top level" if not table else f"`[{table.split(' ')[0]}]`"
        if table.startswith("strategy ("):
            kind = table[len("strategy (") : -1]
            title = f'`[strategy]` with `kind = "{kind}"`'
        lines = [f"### {title}", ""]
        if not specs:
            lines.append("No keys of its own.")
            blocks.append("\n".join(lines))
            continue
        lines += [
            "| key | type | default | allowed | meaning | default's source |",
            "|---|---|---|---|---|---|",
        ]
        lines += _key_rows(specs)
        blocks.append("\n".join(lines))
    from .sweep.options import SweepOptions  # the sweep package sits above the scenario

    lines = [
        "### Sweep files (`rtsim sweep FILE`)",
        "",
        "Besides these keys, a `[grid]` table of scenario keys and value lists (or "
        "`[[cells]]` tables).",
        "",
        "| key | type | default | allowed | meaning | default's source |",
        "|---|---|---|---|---|---|",
        *_key_rows(describe_section(SweepOptions)),
    ]
    blocks.append("\n".join(lines))
    lines = ["### Distributions (`dist = ...`)", "", "| dist | what it draws |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(cls.summary)} |" for name, cls in DISTRIBUTIONS.items()]
    blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def metrics_reference_markdown() -> str:
    lines = ["| metric | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in SUMMARY_METRICS.items()]
    return "\n".join(lines) + "\n"


def update_docs(root: str | Path = ".") -> list[str]:
    """Rewrite every generated block between its markers; the pages that changed."""
    changed = []
    for name, (page, generate) in BLOCKS.items():
        path = Path(root) / page
        text = path.read_text(encoding="utf-8")
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        head, rest = text.split(start, 1)
        _old, tail = rest.split(end, 1)
        new = head + start + generate() + end + tail
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed
