# The two commands: `make demo` (the field report's comparison, both browsers) and
# `make test`. Both set up what is missing first, and setting up twice changes nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# RUNLEVEL=1: a package's service (nginx's) is installed but not started.
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q

.PHONY: setup debian-packages demo test test-fast lint docs clean

setup: debian-packages $(VENV)/.installed

# A virtual environment in folder $(1), made once; python3-venv from Debian if Python lacks it.
make-venv = [ -x $(1)/bin/python ] || { \
	rm -rf $(1); \
	$(PYTHON) -m venv $(1) 2>/dev/null || { \
		echo "installing python3-venv from Debian"; \
		rm -rf $(1); \
		$(SUDO) apt-get update -q && $(APT_INSTALL) python3-venv && $(PYTHON) -m venv $(1); \
	}; \
}

# Debian's own browsers: the gate measures what users run (Playwright's downloads are not
# used). nginx: the reverse-proxy regression runs Debian's nginx in front of the app.
# xvfb: a virtual display for the tests of --headed. npm: fetches the real players
# (hls.js, ...) pages play through Media Source Extensions, pinned (server/players.py).
# Without recommends (they bring avahi, cups and desktop services) but with the libavcodec
# firefox-esr recommends: Firefox plays H.264 and AAC through it (`playgate doctor` checks).
# webkit2gtk-driver: WebKit, the third engine (WebKitGTK's WebDriver and MiniBrowser), which
# plays MP4 through GStreamer's demuxer (plugins-good) and libav decoders. coturn: the TURN
# server beside the WebRTC avatar; nftables: the firewall rule of --mode webrtc-udp-blocked.
debian-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v firefox-esr >/dev/null 2>&1 || missing="$$missing firefox-esr"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v Xvfb >/dev/null 2>&1 || missing="$$missing xvfb"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v WebKitWebDriver >/dev/null 2>&1 || missing="$$missing webkit2gtk-driver"; \
	command -v turnserver >/dev/null 2>&1 || missing="$$missing coturn"; \
	[ -x /usr/sbin/nft ] || command -v nft >/dev/null 2>&1 || missing="$$missing nftables"; \
	ls /usr/lib/*/gstreamer-1.0/libgstlibav.so >/dev/null 2>&1 || missing="$$missing gstreamer1.0-libav"; \
	ls /usr/lib/*/gstreamer-1.0/libgstisomp4.so >/dev/null 2>&1 || missing="$$missing gstreamer1.0-plugins-good"; \
	{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q 'libavcodec\.so\.' || missing="$$missing libavcodec"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing from Debian"; \
		$(SUDO) apt-get update -q; \
		codec=$$(apt-cache depends firefox-esr | sed -n 's/.*Recommends: \(libavcodec[0-9]*\)$$/\1/p' | head -1); \
		$(APT_INSTALL) --no-install-recommends $$(echo "$$missing" | sed 's/ libavcodec//') $$codec; \
	fi

$(VENV)/.installed: pyproject.toml server/players.py
	@$(call make-venv,$(VENV))
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m playgate.server.players
	@touch $@

demo: setup
	$(BIN)/playgate compare --browser all --pressure media:5

# Everything, the slow regression matrix included: what CI runs. In two parts: the tests
# without a browser two at a time (they judge no timing), then the real-browser tests one at
# a time, as their figures need the machine to themselves (docs/guides/ci.md). Both parts
# always run; the target fails if either did.
test: setup
	@status=0; \
	$(BIN)/python -m pytest -m "not browser" -n 2 || status=$$?; \
	$(BIN)/python -m pytest -m browser || status=$$?; \
	exit $$status

# The quick loop: the same without the regression matrix.
test-fast: setup
	@status=0; \
	$(BIN)/python -m pytest -m "not browser" -n 2 || status=$$?; \
	$(BIN)/python -m pytest -m "browser and not slow" || status=$$?; \
	exit $$status

# mypy finds packages by folder name, and the folders are not named as installed (harness/ is
# playgate): it reads the package through a tree of links laid out as the wheel is.
TYPECHECK := build/typecheck
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/playgate
	@for entry in harness/*; do ln -s "$$PWD/$$entry" $(TYPECHECK)/playgate/; done
	@ln -s "$$PWD/server" $(TYPECHECK)/playgate/server && ln -s "$$PWD/fixtures" $(TYPECHECK)/playgate/fixtures
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy

clean:
	rm -rf $(VENV) $(DOCS_VENV) test-results .pytest_cache site

# The documentation site, served at http://127.0.0.1:8000 while you edit docs/. It needs
# Python alone: its own environment, with this project and the docs extra (no browsers).
DOCS_VENV := .venv-docs
$(DOCS_VENV)/.installed: pyproject.toml
	@$(call make-venv,$(DOCS_VENV))
	$(DOCS_VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[docs]'
	@touch $@

docs: $(DOCS_VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000
