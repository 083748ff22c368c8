"""The Python entry point: one call runs the gate with the same settings as the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playgate.entrypoints.option_field import RUN
from playgate.entrypoints.options import layered
from playgate.entrypoints.pyproject_table import find_config_file
from playgate.fixtures.generate import ensure_media
from playgate.judging.gate import JudgedRun
from playgate.run.runner import run_gate


def gate(on_run: Callable[[JudgedRun], None] = lambda _: None, **settings: Any) -> list[JudgedRun]:
    """Run the gate and return every judged run (one per browser and mode).

    ``settings`` are the fields of ``Options``, the CLI flags underscored, over the
    ``[tool.playgate]`` table of the nearest pyproject.toml:
    ``gate(browser="all", mode="h2,h1-tls", pressure="media:5")`` or
    ``gate(app="myapp.main:app", chunk_pattern="/media/")``. A bad one raises ``UsageError``
    naming it; ``on_run`` sees each run as soon as it is judged. ``setup`` may be a function
    of Playwright's Page rather than a ``module:function`` name: run on the user's page before
    it is measured (``gate(url=..., setup=sign_in)``).
    """
    setup = settings.pop("setup") if callable(settings.get("setup")) else None
    options = layered(find_config_file(Path.cwd()), settings, RUN, "gate()")
    return run_gate(options.run_config(options.mode, setup=setup), ensure_media(), on_run=on_run)
