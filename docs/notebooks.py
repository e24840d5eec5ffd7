"""Put the executed notebooks where the site shows them: ``python docs/notebooks.py SRC``.

SRC holds the notebooks as the notebook tests executed them (``make docs`` sets
RTSIM_EXECUTED_DIR=SRC). Each is copied to ``docs/notebooks/`` with a first cell that
says how it was executed and links to Colab and Binder; ``docs/notebooks/answers.md``
lists the worked answers found (``notebooks/answers/``).
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
OUT = DOCS / "notebooks"
BRANCH = "main"
# The first cell's set-up for Colab (it does nothing elsewhere): the page links to Colab
# instead of showing it.
COLAB_SETUP = re.compile(
    r'import sys\n\nif "google\.colab" in sys\.modules:.*?os\.chdir\(.*?\)\n\n', re.S
)


def repository() -> str:
    """owner/name of the repository named in pyproject.toml ([project.urls] Repository)."""
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    return url.removeprefix("https://github.com/").rstrip("/")


def launch_links(path: str) -> str:
    """Colab and Binder links for a notebook, by its path in the repository."""
    repo = repository()
    colab = f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{path}"
    binder = f"https://mybinder.org/v2/gh/{repo}/{BRANCH}?labpath={path}"
    return f"[Open in Colab]({colab}) · [Launch on Binder]({binder})"


def header(path: str, seconds: int | None) -> str:
    took = f"; its cells took {seconds:,} s in all" if seconds is not None else ""
    return (
        f"{launch_links(path)} · source: `{path}`\n\n"
        f"*This page shows the notebook as `make docs` executed it, in full mode as a "
        f"student runs it{took}.*"
    )


def main(src: str) -> None:
    executed = sorted(Path(src).rglob("*.ipynb"))
    if not any(p.parent == Path(src) for p in executed):
        sys.exit(f"{src} holds no executed notebooks: run the notebook tests first")
    shutil.rmtree(OUT, ignore_errors=True)
    for path in executed:
        relative = path.relative_to(src)
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        if code:
            code[0].source = COLAB_SETUP.sub("", code[0].source, count=1)
        seconds = notebook.metadata.get("rtsim_seconds")
        cell = nbformat.v4.new_markdown_cell(header(f"notebooks/{relative.as_posix()}", seconds))
        first = notebook.cells[0] if notebook.cells else None
        if first is not None and first.cell_type == "markdown" and first.source.startswith("# "):
            title, _, rest = first.source.partition("\n")
            first.source = rest.lstrip("\n")
            notebook.cells.insert(0, cell)
            notebook.cells.insert(0, nbformat.v4.new_markdown_cell(title))
        else:
            notebook.cells.insert(0, cell)
        target = OUT / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
    answers = sorted(p.relative_to(OUT).with_suffix("") for p in OUT.glob("answers/*.ipynb"))
    lines = ["# Answers", "", "Worked answers to the exercises, executed like the notebooks.", ""]
    if answers:
        lines += ["```{toctree}", ":maxdepth: 1", "", *[a.as_posix() for a in answers], "```"]
    else:
        lines += ["There are no worked answers in this build (`notebooks/answers/` is empty)."]
    (OUT / "answers.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
