# The two commands: `make demo` (the field report's comparison, both browsers) and
# `make test`. Both set up what is missing first, and setting up twice changes nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# RUNLEVEL=1: a package's service (nginx's) is installed but not started.
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q

.PHONY: setup debian-packages demo test test-fast lint clean

setup: debian-packages $(VENV)/.installed

# Debian's own browsers: the gate measures what users run (Playwright's downloads are not
# used). nginx: the reverse-proxy regression runs Debian's nginx in front of the app.
debian-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v firefox-esr >/dev/null 2>&1 || missing="$$missing firefox-esr"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing from Debian"; \
		$(SUDO) apt-get update -q && $(APT_INSTALL) $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@if ! [ -x $(BIN)/python ]; then \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
			echo "installing python3-venv from Debian"; \
			rm -rf $(VENV); \
			$(SUDO) apt-get update -q && $(APT_INSTALL) python3-venv && $(PYTHON) -m venv $(VENV); \
		}; \
	fi
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/playgate compare --browser all --pressure media:5

# Everything, the slow regression matrix included: what CI runs.
test: setup
	$(BIN)/python -m pytest

# The quick loop: the same without the regression matrix.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) test-results .pytest_cache
