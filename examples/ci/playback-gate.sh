#!/bin/sh
# The playback gate in CI: the one script both recipes run (github-actions.yml, gitlab-ci.yml).
# Copy it into your project (as ci/playback-gate.sh) and run it from the project's folder:
#
#   PLAYGATE=playgate sh ci/playback-gate.sh
#
# It installs what is missing (Debian's chromium, firefox-esr and the codec Firefox plays
# H.264 with, when run as root on Debian; a virtual environment with playgate and your
# project), then gates: the bundled avatar server (h1-tls caught, h2 passing, under the field
# report's pressure), your page as [tool.playgate] in pyproject.toml names it, and your pytest
# tests. Every step runs even when one before it failed; the evidence lands in one folder for
# the CI's artifacts, and the script exits non-zero when any step failed.
#
#   PLAYGATE        what pip installs playgate from: a name, a wheel, 'playgate @ git+URL' (playgate)
#   GATE_VENV       the virtual environment to make or reuse (.gate-venv)
#   GATE_RESULTS    where the evidence goes (gate-results): bundled/, app/, junit.xml, test-results/
#   GATE_BROWSERS   the browsers to gate in (all)
#   GATE_BUNDLED    0 leaves out the bundled avatar server's comparison (1)
set -u

PLAYGATE="${PLAYGATE:-playgate}"
GATE_VENV="${GATE_VENV:-.gate-venv}"
GATE_RESULTS="${GATE_RESULTS:-gate-results}"
GATE_BROWSERS="${GATE_BROWSERS:-all}"
GATE_BUNDLED="${GATE_BUNDLED:-1}"
failed=""

step() {  # step NAME COMMAND...: run it, remember a failure, go on
    name="$1"
    shift
    echo "== $name"
    "$@" || failed="$failed
  $name (exit $?)"
}

# Debian's browsers: the ones playgate is measured with. Only what is missing is installed.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v firefox-esr >/dev/null 2>&1 || missing="$missing firefox-esr"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q
        codec=$(apt-cache depends firefox-esr | sed -n 's/.*Recommends: \(libavcodec[0-9]*\)$/\1/p' | head -1)
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            ca-certificates python3 python3-venv $missing $codec
    else
        echo "missing:$missing; playgate doctor says how to install them on this machine" >&2
    fi
fi

[ -x "$GATE_VENV/bin/python" ] || python3 -m venv "$GATE_VENV" || exit 2
"$GATE_VENV/bin/python" -m pip install -q --disable-pip-version-check "$PLAYGATE" || exit 2
if [ -f requirements.txt ]; then
    "$GATE_VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt || exit 2
elif [ -f pyproject.toml ] && grep -q '^\[build-system\]' pyproject.toml; then
    "$GATE_VENV/bin/python" -m pip install -q --disable-pip-version-check -e . || exit 2
fi
PATH="$(cd "$GATE_VENV/bin" && pwd):$PATH"
export PATH
mkdir -p "$GATE_RESULTS"

step "what this machine has for the gate" playgate doctor --browser "$GATE_BROWSERS"
if [ "$GATE_BUNDLED" = 1 ]; then
    step "the bundled avatar server: h1-tls caught, h2 passing" \
        playgate compare --browser "$GATE_BROWSERS" --pressure media:5 --output "$GATE_RESULTS/bundled"
fi
step "your page, as [tool.playgate] names it" \
    playgate run --browser "$GATE_BROWSERS" --mode h2 --output "$GATE_RESULTS/app"
# pytest-playwright's --browser, once per browser.
case "$GATE_BROWSERS" in
    all) browser_flags="--browser chromium --browser firefox" ;;
    *) browser_flags=$(echo "$GATE_BROWSERS" | tr ',' '\n' | sed 's/^/--browser /' | tr '\n' ' ') ;;
esac
# shellcheck disable=SC2086 # one word per flag and browser
step "your playback tests" \
    python -m pytest $browser_flags --junitxml "$GATE_RESULTS/junit.xml" --output "$GATE_RESULTS/test-results"

if [ -n "$failed" ]; then
    echo "playback gate: failed:$failed" >&2
    exit 1
fi
echo "playback gate: every step passed; the evidence is in $GATE_RESULTS"
