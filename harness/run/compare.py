"""``playgate compare``: the field report, reproduced. Two setups (h1-tls and h2 by
default) measured in one run under the same pressure, side by side, per browser.

The field saw 9.2 s for the first chunk on HTTP/1.1 and 0.17 s after moving to HTTP/2.
Here the holders are released after ``hold_ms``, so the figures are smaller, but the
mechanism is the same: on HTTP/1.1 the chunk waits in the browser for a connection.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from playgate.config import RunConfig
from playgate.errors import UsageError
from playgate.fixtures.generate import MediaSet
from playgate.judging.gate import JudgedRun
from playgate.judging.repeats import chunk_spreads
from playgate.records import ChunkRecord
from playgate.reports.outputs import Outputs
from playgate.reports.table import describe
from playgate.run.runner import SetupStart, run_gate
from playgate.server.settings import Mode

COMPARED = (Mode.H1_TLS, Mode.H2)  # the regressed setup first, then the healthy one
PLAYBACK_NOTE_MS = 100  # below this a playback-side share is not worth a sentence
NETWORK_FIGURES = {"blocked_ms", "queued_ms", "stalled_ms"}
SIGNIFICANCE = 0.05
# Exact two-sided Mann-Whitney U: with 3 against 3 the smallest p is 0.1; with 4 against 4, 0.029.
MIN_REPEATS_FOR_SIGNIFICANCE = 4


def _load_range(run: JudgedRun) -> str:
    later = [c.load_ms for c in run.run.chunks[1:] if c.load_ms is not None]
    return f"{min(later):.0f}-{max(later):.0f} ms" if later else "-"


def _first_chunk(run: JudgedRun) -> ChunkRecord | None:
    return run.run.chunks[0] if run.run.chunks else None


def _figure(run: JudgedRun, name: str) -> float | None:
    """A figure of the first chunk: a network one (``blocked_ms``...) or a page one."""
    chunk = _first_chunk(run)
    if chunk is None:
        return None
    if name in NETWORK_FIGURES:
        return chunk.net_ms(name)
    page_figure: float | None = getattr(chunk, name)  # load_ms, first_frame_ms, ...
    return page_figure


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _explain(old: JudgedRun, new: JudgedRun) -> list[str]:
    """The sentences under the table: where the old setup's time went."""
    lines = []
    old_load, new_load = _figure(old, "load_ms"), _figure(new, "load_ms")
    blocked = _figure(old, "blocked_ms")
    if blocked is not None:
        split = ""
        queued, stalled = _figure(old, "queued_ms"), _figure(old, "stalled_ms")
        if queued is not None and stalled is not None:
            split = f" ({queued:.0f} ms queued, {stalled:.0f} ms stalled)"
        line = f"  on {old.run.label} the first chunk waited {blocked:.0f} ms in the browser before the network{split}"
        gained = None if old_load is None or new_load is None else old_load - new_load
        if gained is not None and 0 < blocked <= gained:  # a share only where it is one
            line += f": {blocked / gained:.0%} of the {gained:.0f} ms the first chunk gained"
        lines.append(line)
    after = _figure(new, "after_download_ms")
    if new_load and after is not None and after > max(new_load / 2, PLAYBACK_NOTE_MS):
        first = _first_chunk(new)
        why = (
            "the player's own time (transmuxing, appending to its buffer), not the network"
            if first is not None and first.page.kind == "fetched"
            else "a playback-side wait while the other videos preload, not the network"
        )
        lines.append(
            f"  on {new.run.label} {after:.0f} ms of its {new_load:.0f} ms load came after the download ended: {why}"
        )
    return lines


def comparison(browser: str, old: JudgedRun, new: JudgedRun) -> str:
    """The field report's table for one browser: ``old`` (regressed) against ``new``."""
    first_old, first_new = _figure(old, "load_ms"), _figure(new, "load_ms")
    rows = [
        ("", old.run.label, new.run.label),
        ("first chunk load", _ms(first_old), _ms(first_new)),
        ("later chunks load", _load_range(old), _load_range(new)),
        ("first chunk blocked", _ms(_figure(old, "blocked_ms")), _ms(_figure(new, "blocked_ms"))),
        ("first chunk after dl", _ms(_figure(old, "after_download_ms")), _ms(_figure(new, "after_download_ms"))),
        ("gate", old.verdict.label.upper(), new.verdict.label.upper()),
    ]
    lines = [f"{browser} {new.run.browser_version}: {new.run.pressure} pressure, {len(new.run.chunks)} chunks"]
    lines += [f"  {a:<22}{b:>16}{c:>16}" for a, b, c in rows]
    if first_old and first_new:
        faster = first_old >= first_new
        ratio = first_old / first_new if faster else first_new / first_old
        lines.append(f"  first chunk {ratio:.1f}x {'faster' if faster else 'slower'} on {new.run.label}")
    lines += _explain(old, new)
    if old.repeats and new.repeats:
        lines += repeated_difference(old, new)
    return "\n".join(lines)


def repeated_difference(old: JudgedRun, new: JudgedRun) -> list[str]:
    """First-chunk figures over the repeats of both setups, min/median/max, and whether the
    two differ more than chance would (a two-sided Mann-Whitney U test: no assumption that
    waits are normally distributed, which they are not)."""
    lines = [f"  over {len(old.repeats)} and {len(new.repeats)} repeats (min/median/max; Mann-Whitney U, two-sided):"]
    for figure, label in (("load_ms", "first chunk load"), ("blocked_ms", "first chunk blocked")):
        a, b = chunk_spreads(old.repeats, figure)[:1], chunk_spreads(new.repeats, figure)[:1]
        if not a or not b or len(a[0].values) < 2 or len(b[0].values) < 2:
            lines.append(f"    {label}: too few repeats with the figure to compare")
            continue
        from scipy.stats import mannwhitneyu  # the stats extra: checked by require_stats() first

        p_value = float(mannwhitneyu(a[0].values, b[0].values, alternative="two-sided").pvalue)
        verdict = "a significant difference" if p_value < SIGNIFICANCE else "not significant (could be chance)"
        lines.append(
            f"    {label}: {old.run.label} {a[0]} ms, {new.run.label} {b[0]} ms; p = {p_value:.3g}: {verdict}"
            + (
                ""
                if p_value < SIGNIFICANCE or len(old.repeats) >= MIN_REPEATS_FOR_SIGNIFICANCE
                else f" (with fewer than {MIN_REPEATS_FOR_SIGNIFICANCE} repeats each it cannot be)"
            )
        )
    return lines


def gate_holds(old: JudgedRun, new: JudgedRun, *, both_healthy: bool = False) -> bool:
    """The gate passed the healthy setup and caught the regressed one (or, comparing two
    healthy setups such as h2 and h3, passed both)."""
    return new.verdict.passed and old.verdict.passed == both_healthy


def _what_held(old: JudgedRun, new: JudgedRun, both_healthy: bool) -> str:
    if both_healthy:
        return f"both {old.run.label} and {new.run.label}"
    return f"{new.run.label} and caught {old.run.label}"


STATS_MISSING = (
    "compare --repeat tests whether the two setups differ more than chance, with SciPy, which is "
    "not installed: pip install 'playgate[stats]'"
)


def require_stats(config: RunConfig) -> None:
    """Refuse, before any browser starts, a repeated comparison that could not say whether
    its difference is significant (SciPy is the ``stats`` extra)."""
    if config.repeat > 1 and importlib.util.find_spec("scipy") is None:
        raise UsageError(STATS_MISSING)


def run_compare(
    config: RunConfig,
    media: MediaSet,
    *,
    outputs: Outputs | None = None,
    show_runs: bool = True,
    on_setup: Callable[[SetupStart], None] = lambda _: None,
) -> bool:
    """Measure both setups of ``config.modes`` (old, new) in every browser; print the
    comparison per browser. True when the gate passed new and caught old everywhere."""
    if len(config.modes) != 2:
        raise UsageError("compare takes two modes, the regressed one first: --modes h1-tls,h2")
    require_stats(config)
    both_healthy = all(mode.healthy for mode in config.modes)

    def show(judged: JudgedRun) -> None:
        if show_runs:
            print(describe(judged) + "\n", flush=True)

    results = run_gate(config, media, on_run=show, on_setup=on_setup)
    for path in (outputs or Outputs()).write(results):
        print(f"wrote {path}")
    all_hold = True
    for name in config.browsers:
        old, new = (j for j in results if j.run.browser == name)  # in the order of config.modes
        holds = gate_holds(old, new, both_healthy=both_healthy)
        all_hold &= holds
        print(comparison(name, old, new))
        verdict = (
            f"passed {_what_held(old, new, both_healthy)}"
            if holds
            else f"did NOT pass {_what_held(old, new, both_healthy)}"
        )
        print(f"  the gate {verdict}\n", flush=True)
    print("playgate compare: " + ("the gate holds in every browser" if all_hold else "the gate does not hold"))
    return all_hold
