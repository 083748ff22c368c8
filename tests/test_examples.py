"""The CI recipes under examples/: neither a GitHub runner nor a container runs here, so their
shape and every playgate command in them are checked against the real command line."""

import json
import shlex
from pathlib import Path

import pytest
import yaml

from playgate.entrypoints.cli import build_parser
from playgate.entrypoints.doctor import firefox_codec_package

EXAMPLES = Path(__file__).parents[1] / "examples"
BROWSER_PACKAGES = {"chromium", "firefox-esr"}


def workflow() -> dict:
    return yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())


def shell_lines(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined."""
    joined = (EXAMPLES / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def commands_in(text: str) -> list[list[str]]:
    """Every simple command of a shell snippet (split at && and ;)."""
    found = []
    for words in shell_lines(text):
        current: list[str] = []
        for word in [*words, "&&"]:
            if word in ("&&", ";", "||"):
                if current:
                    found.append(current)
                current = []
            else:
                current.append(word)
    return found


def check_playgate_command(words: list[str]) -> None:
    assert words[0] == "playgate", words
    try:
        build_parser().parse_args(words[1:])
    except SystemExit as exc:  # argparse's way of saying a flag is wrong
        pytest.fail(f"not a valid playgate command: {shlex.join(words)} ({exc})")


def apt_packages(commands: list[list[str]]) -> set[str]:
    installs = [c for c in commands if c[:2] == ["apt-get", "install"]]
    assert len(installs) == 1
    assert "--no-install-recommends" in installs[0]
    return {word for word in installs[0][2:] if not word.startswith("-")}


def test_workflow_runs_in_debian_with_its_browsers():
    job = workflow()["jobs"]["playback-gate"]
    assert job["container"] == "debian:bookworm"
    commands = [c for step in job["steps"] if "run" in step for c in commands_in(step["run"])]
    assert BROWSER_PACKAGES | {firefox_codec_package()} <= apt_packages(commands)


def test_workflow_playgate_commands_are_valid_and_write_to_the_kept_folder():
    job = workflow()["jobs"]["playback-gate"]
    commands = [c for step in job["steps"] if "run" in step for c in commands_in(step["run"])]
    gate_commands = [c for c in commands if c[0] == "playgate"]
    assert [c[1] for c in gate_commands] == ["doctor", "compare", "run"]
    for words in gate_commands:
        check_playgate_command(words)
        if "--output" in words:
            assert words[words.index("--output") + 1].startswith("gate-results/")
    pytest_runs = [c for c in commands if c[:3] == ["python", "-m", "pytest"]]
    assert pytest_runs and {"chromium", "firefox"} <= set(pytest_runs[0])


def test_workflow_keeps_the_evidence_even_when_the_gate_fails():
    steps = workflow()["jobs"]["playback-gate"]["steps"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"
    assert set(upload["with"]["path"].split()) == {"gate-results/", "test-results/"}


def test_dockerfile_installs_the_wheel_checks_the_machine_and_runs_the_gate():
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "debian:bookworm")
    runs = [c for kind, args in instructions if kind == "RUN" for c in commands_in(args)]
    assert BROWSER_PACKAGES | {firefox_codec_package()} <= apt_packages(runs)
    assert ["pip", "install", "/tmp/wheels/playgate-*.whl"] in runs
    assert ["playgate", "doctor"] in runs
    (cmd,) = [json.loads(args) for kind, args in instructions if kind == "CMD"]
    check_playgate_command(cmd)


def test_a_wrong_flag_in_a_recipe_would_be_caught():
    with pytest.raises(pytest.fail.Exception):
        check_playgate_command(["playgate", "compare", "--pressures", "media:5"])


def sharded() -> dict:
    return yaml.safe_load((EXAMPLES / "github-actions-shards.yml").read_text())


def test_sharded_workflow_runs_every_shard_then_merges_them_all():
    jobs = sharded()["jobs"]
    shards = jobs["gate-shard"]["strategy"]["matrix"]["shard"]
    steps = jobs["gate-shard"]["steps"]
    folders = []
    for shard in shards:  # the matrix value as GitHub substitutes it
        scripts = [step["run"].replace("${{ matrix.shard }}", str(shard)) for step in steps if "run" in step]
        commands = [c for script in scripts for c in commands_in(script)]
        assert BROWSER_PACKAGES | {firefox_codec_package()} <= apt_packages(commands)
        (words,) = [c for c in commands if c[0] == "playgate"]
        check_playgate_command(words)
        assert words[words.index("--shard") + 1] == f"{shard}/{len(shards)}"
        folders.append(words[words.index("--output") + 1])
    merge_job = jobs["gate-merge"]
    assert merge_job["needs"] == "gate-shard" and merge_job["if"] == "always()"
    (merge,) = [c for s in merge_job["steps"] if "run" in s for c in commands_in(s["run"]) if c[0] == "playgate"]
    check_playgate_command(merge)
    assert merge[1] == "merge" and merge[3:] == folders  # every shard's folder, none left out
    uploads = [s for s in merge_job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads[-1]["if"] == "always()" and uploads[-1]["with"]["path"] == merge[2] + "/"
