"""A user's whole journey, nothing mocked: the built wheel installed into a fresh virtual
environment, used from a project of the user's own (their ASGI app and page, their
``[tool.playgate]`` settings, their test file), in both browsers, through pytest and the
command line. Every command runs from the user's folder, never from this repository.

It is made twice: with the newest versions the dependency ranges allow, and with each
runtime dependency at its lower bound beside a user's own pins (a FastAPI release that needs
Starlette < 0.47, and pytest 8): the two ends of what ``pip install playgate`` may give."""

import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from playgate.fixtures.generate import ensure_media

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The user's page, beside either app: it plays each clip the event stream announces.
USER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>talking head</title></head><body>
<script>
const updates = new EventSource("/updates");
updates.addEventListener("clip", (event) => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = JSON.parse(event.data).url;
  document.body.appendChild(video);
});
</script></body></html>"""

USER_APP = '''"""A talking-head service: the page plays each clip the event stream announces."""
import asyncio
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

CLIPS = Path(__file__).parent / "clips"
PAGE = (Path(__file__).parent / "page.html").read_text()


async def page(request):
    return HTMLResponse(PAGE)


async def updates(request):
    async def stream():
        for index in range(3):
            yield f"event: clip\\ndata: {json.dumps({'url': f'/clips/{index}.mp4'})}\\n\\n".encode()
            await asyncio.sleep(0.2)
        while True:
            await asyncio.sleep(1.0)
            yield b": still here\\n\\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def clip(request):
    path = CLIPS / f"{request.path_params['index']}.mp4"
    return FileResponse(path, media_type="video/mp4") if path.is_file() else Response(status_code=404)


app = Starlette(routes=[Route("/", page), Route("/updates", updates), Route("/clips/{index:int}.mp4", clip)])
'''

USER_PYPROJECT = """[project]
name = "talking-head"
version = "1.0.0"

[tool.playgate]
app = "talking_head:app"
chunk_pattern = "/clips/"
sse_pattern = "/updates"
chunks = 3
"""

USER_TESTS = """import pytest
from playgate import assert_gate_passes


def test_h2_plays_without_waiting(playgate_run):
    assert_gate_passes(playgate_run(mode="h2"))


@pytest.mark.playgate(mode="h1-tls")
def test_http1_fallback(playgate_run):
    assert_gate_passes(playgate_run())
"""


# The same service as a FastAPI app, in a project that pins what such projects pin: a
# FastAPI release that needs Starlette < 0.47, and pytest 8.
FASTAPI_APP = '''"""A talking-head service on FastAPI: the page plays each clip the event stream announces."""
import asyncio
import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

CLIPS = Path(__file__).parent / "clips"
PAGE = (Path(__file__).parent / "page.html").read_text()

app = FastAPI()


@app.get("/", response_class=HTMLResponse)
async def page():
    return PAGE


@app.get("/updates")
async def updates():
    async def stream():
        for index in range(3):
            yield f"event: clip\\ndata: {json.dumps({'url': f'/clips/{index}.mp4'})}\\n\\n".encode()
            await asyncio.sleep(0.2)
        while True:
            await asyncio.sleep(1.0)
            yield b": still here\\n\\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@app.get("/clips/{index}.mp4")
async def clip(index: int):
    path = CLIPS / f"{index}.mp4"
    return FileResponse(path, media_type="video/mp4") if path.is_file() else Response(status_code=404)
'''
USERS_OWN_PINS = ("fastapi==0.115.12", "pytest==8.4.2")
ROOT = Path(__file__).parents[2]


def lower_bounds() -> dict[str, str]:
    """Each runtime dependency at the lowest version its range allows: name -> version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        floors = [s.version for s in requirement.specifier if s.operator in (">=", "==")]
        assert len(floors) == 1, f"{line}: a runtime dependency needs one lower bound (>=) or a pin (==)"
        bounds[requirement.name] = floors[0]
    return bounds


@dataclass(frozen=True)
class Journey:
    name: str  # newest or lowest
    venv: Path
    project: Path


def make_journey(name: str, wheel: Path, root: Path) -> Journey:
    """A fresh virtual environment with only the wheel (and what it depends on) installed,
    and the user's project beside it: the newest versions allowed, or (lowest) each
    dependency at its lower bound beside the user's own pins and a FastAPI app."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if name == "lowest":
        users = {Requirement(pin).name for pin in USERS_OWN_PINS}
        constraints = root / "lowest.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in lower_bounds().items() if n not in users))
        install += ["-c", str(constraints), *USERS_OWN_PINS]
    done = subprocess.run([*install, str(wheel)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]

    project = root / "talking-head"
    project.mkdir()
    (project / "talking_head.py").write_text(FASTAPI_APP if name == "lowest" else USER_APP)
    (project / "page.html").write_text(USER_PAGE)
    (project / "pyproject.toml").write_text(USER_PYPROJECT)
    (project / "test_playback.py").write_text(USER_TESTS)
    media = ensure_media()
    (project / "clips").mkdir()
    for index in range(3):
        shutil.copy(media.chunk_path(index), project / "clips" / f"{index}.mp4")
    return Journey(name, venv, project)


@pytest.fixture(scope="module")
def journeys(built_wheel, tmp_path_factory) -> dict[str, Journey]:
    """Both environments, made side by side: pip waits on the disk more than on the cores."""
    names = ("newest", "lowest")
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        made = {n: pool.submit(make_journey, n, built_wheel, tmp_path_factory.mktemp(f"journey-{n}")) for n in names}
        return {name: future.result() for name, future in made.items()}


@pytest.fixture(scope="module")
def newest(journeys) -> Journey:
    return journeys["newest"]


@pytest.fixture(scope="module")
def lowest(journeys) -> Journey:
    return journeys["lowest"]


@pytest.fixture(params=["newest", "lowest"])
def journey(request) -> Journey:
    """Both ends of the ranges, each environment made once for the module."""
    return request.getfixturevalue(request.param)


def in_user_env(venv: Path, project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=project, env=env)


def test_each_journey_installed_the_versions_it_is_for(journey):
    listed = in_user_env(journey.venv, journey.project, "python", "-m", "pip", "list", "--format=freeze")
    installed = {
        name.lower(): Version(v) for name, v in (line.split("==") for line in listed.stdout.split() if "==" in line)
    }
    if journey.name == "lowest":
        expected = {**lower_bounds(), **dict(pin.split("==") for pin in USERS_OWN_PINS)}
        assert {n: installed[n.lower()] for n in expected} == {n: Version(v) for n, v in expected.items()}
    else:  # past what the lowest journey's FastAPI allows: the top of the range is exercised
        assert installed["starlette"] >= Version("0.47")


def test_only_playgate_is_installed_at_the_top(journey):
    probe = in_user_env(
        journey.venv,
        journey.project,
        "python",
        "-c",
        "import importlib.util as u, playgate; print([n for n in ('harness', 'server', 'fixtures') if u.find_spec(n)]);"
        "print(playgate.__file__)",
    )
    assert probe.returncode == 0, probe.stderr
    shadowed, location = probe.stdout.splitlines()
    assert shadowed == "[]"
    assert "site-packages" in location and str(Path(__file__).parents[2]) not in location


def test_users_tests_pass_on_h2_and_fail_on_http1_with_the_chunk_table(journey):
    result = in_user_env(
        journey.venv, journey.project, "python", "-m", "pytest", "--browser", "chromium", "--browser", "firefox",
        "-p", "no:cacheprovider", timeout=600,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out[-4000:] + result.stderr[-2000:]
    assert "2 failed, 2 passed" in out, out[-4000:]
    for browser in ("chromium", "firefox"):
        assert f"FAILED test_playback.py::test_http1_fallback[{browser}]" in out
    assert "GateFailure: the playback gate failed" in out
    assert "chunk  protocol  conn  reused  status  blocked" in out
    assert "- protocol: chunk 0 was served over http/1.1, expected h2" in out
    assert "mode h1-tls app talking_head:app" in out  # the app [tool.playgate] names


def test_the_command_line_works_there(newest):
    user_env, user_project = newest.venv, newest.project
    usage = in_user_env(user_env, user_project, "playgate", "--help")
    assert usage.returncode == 0 and "{serve,run,diagnose,compare,browser-server,merge,demo,doctor}" in usage.stdout, (
        usage.stderr
    )
    run = in_user_env(
        user_env, user_project, "playgate", "run", "--browser", "all", "--mode", "h2,h1-tls", "--chunks", "2",
        "--output", "gate-results",
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    assert "playgate: 2 passed, 2 failed" in run.stdout, run.stdout[-6000:]
    assert (user_project / "gate-results" / "result.json").is_file()
    assert (user_project / "gate-results" / "report.html").is_file()

    # Both browsers were just launched there by the run: the doctor checks the rest.
    doctor = in_user_env(user_env, user_project, "playgate", "doctor", "--no-launch")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "everything the default run needs is here" in doctor.stdout


def test_diagnose_works_there(newest):
    user_env, user_project = newest.venv, newest.project
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    serve = [str(user_env / "bin" / "playgate"), "serve", "--mode", "h2"]
    with subprocess.Popen(
        serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=user_project, env=env
    ) as server:
        try:
            line = server.stdout.readline()
            assert line.startswith("serving https://127.0.0.1:"), line + server.stderr.read()
            url = line.split()[1] + "chunks/chunk-000.mp4"
            result = in_user_env(
                user_env, user_project, "playgate", "diagnose", url, "--insecure", "--requests", "1", timeout=120
            )
        finally:
            server.terminate()
            server.wait(timeout=15)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h2" in result.stdout and "http/1.1" in result.stdout
