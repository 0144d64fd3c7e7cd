# The two set-up commands of the README:
#   make sample   install into .venv, then run the main job on the bundled sample
#   make test     install into .venv, then run the test suite (what .ci/run calls)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install sample test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[spark,dev]'
	touch $@

sample: install
	$(BIN)/monsoon run configs/sample.yaml

test: install /usr/bin/chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# The audit test renders the report in headless Chromium: the Debian package, installed only when missing.
/usr/bin/chromium:
	apt-get update -qq && apt-get install -y -qq chromium

clean:
	rm -rf $(VENV) out
