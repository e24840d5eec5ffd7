"""Sphinx configuration of the course site: ``make docs`` builds it into build/docs/.

The notebooks are not executed here: the notebook tests run them (``make docs`` sets
RTSIM_EXECUTED_DIR), ``docs/notebooks.py`` copies the executed copies into
``docs/notebooks/`` with their launch links, and Sphinx renders them as they are.
"""

project = "rtsim"
author = "the rtsim authors"
copyright = "the rtsim authors, MIT licence"

extensions = ["myst_nb"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# Links like [text](model.md#channels-simulationchannelpy) resolve here as on GitHub.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

nb_execution_mode = "off"  # already executed, by the same harness as the tests
nb_execution_raise_on_error = True  # were anything executed here, an error would fail
nb_merge_streams = True

html_theme = "furo"
html_title = "rtsim: a course in real-time web communication"
html_show_sourcelink = False
