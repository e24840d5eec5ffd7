# Set-up is automatic: every target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test validate bench scaling format reference notebooks figures docs clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rtsim needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record which install is current; they are redone when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-notebooks: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-docs: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-testbed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[testbed]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/rtsim run scenarios/default.toml scenarios/default-websocket.toml --plot results/latency.png

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Real servers and clients on 127.0.0.1 against rtsim: the testbed tests with their timing
# bounds, the measured-versus-simulated table, then Socket.IO with acknowledged client
# messages, then HTTP/2 (h2c, h2) and HTTP/3 on hypercorn (about 25 minutes;
# results/validation*.csv).
validate: $(VENV)/.installed-dev
	RTSIM_TESTBED_TIMING=1 $(BIN)/python -m pytest tests/test_testbed.py tests/test_testbed_http.py -q
	$(BIN)/rtsim validate-testbed --csv results/validation.csv
	$(BIN)/rtsim validate-testbed --strategies socketio,socketio-websocket --rates 1 \
		--client-rate 1 --csv results/validation-acks.csv
	$(BIN)/rtsim validate-testbed --http h2c,h2,h3 --latencies-ms 50 \
		--csv results/validation-http2-http3.csv

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py --json results/bench.json

# Run time against clients, duration and update rate: results/scaling.csv and .png.
scaling: $(VENV)/.installed
	$(BIN)/python benchmarks/scaling.py results

# JupyterLab on the course in notebooks/ (each .ipynb is paired with a .py script).
notebooks: $(VENV)/.installed-notebooks
	cd notebooks && ../$(BIN)/jupyter lab

# The course site, build/docs/index.html: the notebook tests run every notebook in full
# mode, as a student gets it (every cell under its time bound, every figure shown once),
# then Sphinx renders docs/ and the executed notebooks. Strict: a failing notebook, a
# broken link or any Sphinx warning fails it. About 10 minutes, 6 of them notebook 07's
# real servers.
docs: $(VENV)/.installed-dev $(VENV)/.installed-docs
	rm -rf build/executed build/docs
	RTSIM_FULL_NOTEBOOKS=1 RTSIM_EXECUTED_DIR=build/executed \
		$(BIN)/python -m pytest -q tests/test_notebooks.py -k full_mode
	$(BIN)/python docs/notebooks.py build/executed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs build/docs
	@echo "The site is in build/docs/index.html"

# The plots tour's figures (docs/api.md), under results/figures/.
figures: $(VENV)/.installed
	$(BIN)/python -m simulation.figures results/figures

# Regenerate the scenario reference and metrics table in docs/reference.md from the code.
reference: $(VENV)/.installed
	$(BIN)/python -c 'from simulation.reference import update_docs; update_docs()'

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/jupytext --sync notebooks/*.py
	$(BIN)/ruff format notebooks

clean:
	rm -rf $(VENV) results build docs/notebooks .pytest_cache .ruff_cache .hypothesis
