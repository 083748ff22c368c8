"""False alarms and misses on a user's page that needs a sign-in and a "Start" click, whose
clips are announced over a WebSocket (tests/tooling/login_app.py), under the field report's
pressure applied to that page (``--pressure media:5 --pressure-media /idle/loop.mp4``).

Run by hand:  .venv/bin/python -m bench.user_page_bench [--rounds 20] [--browser all]

Each round gates h2 (healthy) and h1-tls (regressed) in every browser, the browsers kept
across rounds. A false alarm is a healthy run the gate failed (any rule); a miss is a
regressed run whose queueing rule did not break (h1-tls also breaks the protocol rule,
which is not what is measured). Every red healthy run is printed with its reasons; also the
longest healthy wait and the shortest regressed wait of chunk 0, and what chunk 0 waited for.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from datetime import date

from playgate.capture.browser_finder import browser_names
from playgate.capture.browsers import browser_pool
from playgate.entrypoints.options import Options
from playgate.fixtures.generate import ensure_media
from playgate.rules import Rule
from playgate.run.runner import judge_setup
from playgate.server.serving import serve
from playgate.server.settings import Mode, settings_for
from tests.tooling import login_app

APP = "tests.tooling.login_app:app"
SETTINGS = dict(
    app=APP, chunk_pattern="/clips/", chunks=login_app.CLIPS, pressure="media:5", pressure_media="/idle/loop.mp4"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--browser", default="all")
    args = parser.parse_args()
    names = browser_names(args.browser)
    media = ensure_media()
    config = Options(**SETTINGS).run_config("h2,h1-tls", setup=login_app.sign_in_and_start)
    outcomes: dict[tuple[str, str], list[bool]] = defaultdict(list)
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    causes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    with browser_pool() as pool:
        for mode in config.modes:
            with serve(settings_for(Mode(mode), media, app=APP)) as server:
                for round_ in range(args.rounds):
                    for name in names:
                        judged = judge_setup(pool.get(name), browser_name=name, config=config, server=server)
                        key = (name, mode.value)
                        healthy = mode.healthy
                        outcomes[key].append(
                            judged.verdict.passed if healthy else bool(judged.verdict.broke(Rule.QUEUEING))
                        )
                        first = judged.run.chunks[0] if judged.run.chunks else None
                        if first is not None and first.blocked_ms is not None:
                            waits[key].append(first.blocked_ms)
                        wait = judged.verdict.waits[0] if judged.verdict.waits else None
                        causes[key][wait.short if wait is not None else "-"] += 1
                        if healthy and not judged.verdict.passed:
                            print(f"FALSE ALARM {name} {mode.value} round {round_}: {judged.verdict.reasons}")
                        if not healthy and not judged.verdict.broke(Rule.QUEUEING):
                            print(f"MISS {name} {mode.value} round {round_}: {judged.verdict.reasons}")
    print(f"user page (sign-in, Start, WebSocket), media:5 on the page, {args.rounds} rounds, {date.today()}")
    print(f"{'browser':9} {'mode':7} {'runs':>5} {'bad':>4}  chunk 0 blocked (min-max ms)  chunk 0 waited for")
    for (name, mode), results in sorted(outcomes.items()):
        bad = results.count(False)
        spread = waits[(name, mode)]
        span = f"{min(spread):.0f}-{max(spread):.0f}" if spread else "-"
        waited = ", ".join(f"{cause} ×{n}" for cause, n in causes[(name, mode)].most_common())
        print(f"{name:9} {mode:7} {len(results):>5} {bad:>4}  {span:>27}  {waited}")
    print("bad: false alarms for h2, misses (queueing not broken) for h1-tls")


if __name__ == "__main__":
    main()
