"""The CI recipes under examples/: neither a GitHub runner nor a container runs here, so their
shape and every playgate command in them are checked against the real command line."""

import json
import shlex
from pathlib import Path

import pytest
import yaml

from playgate.capture.firefox import firefox_codec_package
from playgate.entrypoints.cli_parser import build_parser

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


CI_SCRIPT = EXAMPLES / "ci" / "playback-gate.sh"
SCRIPT_CALL = ["sh", "ci/playback-gate.sh"]  # where each recipe says to copy the script


def gitlab() -> dict:
    return yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())


def script_commands() -> list[list[str]]:
    """The script's commands, continuation lines joined, with its defaults for its variables."""
    text = CI_SCRIPT.read_text().replace("\\\n", " ")
    for name, value in (("GATE_BROWSERS", "all"), ("GATE_RESULTS", "gate-results"), ("missing", "chromium")):
        text = text.replace(f'"${name}"', value).replace(f"${name}", value)
    lines = [line for line in text.splitlines() if line.strip().startswith(("step ", "playgate ", "python -m pytest"))]
    return commands_in("\n".join(lines))


def test_both_recipes_run_the_one_script_in_debian():
    job = workflow()["jobs"]["playback-gate"]
    assert job["container"] == "debian:bookworm"
    github = [c for step in job["steps"] if "run" in step for c in commands_in(step["run"])]
    lab = gitlab()["playback-gate"]
    assert lab["image"] == "debian:bookworm"
    gitlab_commands = [c for line in lab["script"] for c in commands_in(line)]
    assert SCRIPT_CALL in github and gitlab_commands == [SCRIPT_CALL]


def test_the_script_installs_debians_browsers_and_the_codec_firefox_plays_with():
    text = CI_SCRIPT.read_text()
    for browser in BROWSER_PACKAGES:
        assert f"command -v {browser} " in text and f'missing="$missing {browser}"' in text
    assert "Recommends: \\(libavcodec" in text  # the codec firefox-esr recommends, as make setup finds it


def test_the_scripts_playgate_commands_are_valid_and_write_to_the_kept_folder():
    commands = [c[c.index("playgate") :] for c in script_commands() if "playgate" in c and c[0] in ("step", "playgate")]
    assert [c[1] for c in commands] == ["doctor", "compare", "run"]
    for words in commands:
        check_playgate_command(words)
        if "--output" in words:
            assert words[words.index("--output") + 1].startswith("gate-results/")
    pytest_runs = [c for c in script_commands() if "pytest" in c]
    assert pytest_runs and "--junitxml" in pytest_runs[0]


def test_both_recipes_keep_the_evidence_even_when_the_gate_fails():
    steps = workflow()["jobs"]["playback-gate"]["steps"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"].split() == ["gate-results/"]
    artifacts = gitlab()["playback-gate"]["artifacts"]
    assert artifacts["when"] == "always" and artifacts["paths"] == ["gate-results/"]
    assert artifacts["reports"]["junit"] == "gate-results/junit.xml"


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
