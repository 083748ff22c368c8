"""Shards: a deterministic share of the setups per machine, and their files joined into the
result one unsharded run would have written; shards that do not belong together refused."""

import json
import xml.etree.ElementTree as ET

import pytest

from playgate.config import GateRules, RunConfig, Scenario, Shard
from playgate.entrypoints.cli import main
from playgate.errors import UsageError
from playgate.judging.gate import JudgedRun, evaluate
from playgate.reports.shards import SHARD_FILE, junit_document, read_shards, write_shard
from playgate.server.settings import Mode
from tests.factory import chunk, run


def config(shard=None, **changes):
    return RunConfig(
        browsers=("chromium", "firefox"),
        modes=(Mode.H2, Mode.H1_TLS),
        scenario=Scenario(),
        rules=GateRules(),
        shard=shard,
        **changes,
    )


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_every_setup_goes_to_exactly_one_shard(count):
    setups = config().setups()
    taken = [[s for s in setups if config(Shard(i, count)).takes(*s)] for i in range(1, count + 1)]
    assert sorted(s for share in taken for s in share) == sorted(setups)
    assert sum(len(share) for share in taken) == len(setups)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_a_shard_outside_i_of_n_is_one_usage_error(text):
    with pytest.raises(UsageError, match=r"--shard .*: give i/n with 1 <= i <= n"):
        Shard.parse(text)


def judged(browser, mode):
    protocol = "h2" if mode is Mode.H2 else "http/1.1"
    record = run(chunk(0, protocol=protocol), browser=browser, mode=mode.value)
    return JudgedRun(record, evaluate(record, GateRules()))


def shards_on_disk(tmp_path, count=2, **changes):
    folders = []
    for index in range(1, count + 1):
        shard_config = config(Shard(index, count), **changes)
        runs = [judged(b, m) for m, b in shard_config.setups() if shard_config.takes(m, b)]
        folder = tmp_path / f"shard-{index}"
        folder.mkdir(parents=True)
        write_shard(folder, shard_config, runs)
        folders.append(folder)
    return folders


def test_merged_runs_come_whole_and_in_the_unsharded_order(tmp_path):
    merged = read_shards(shards_on_disk(tmp_path, 3))
    assert [(j.run.mode, j.run.browser) for j in merged] == [
        ("h2", "chromium"),
        ("h2", "firefox"),
        ("h1-tls", "chromium"),
        ("h1-tls", "firefox"),
    ]
    assert merged == [judged(b, m) for m, b in config().setups()]  # every record and verdict, as measured


def test_the_junit_file_has_a_case_per_run_and_the_failures(tmp_path):
    suite = ET.fromstring(junit_document(read_shards(shards_on_disk(tmp_path))))
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")
    failures = [case.find("failure") for case in suite.iter("testcase")]
    assert [f is not None for f in failures] == [False, False, True, True]
    assert failures[2].get("message").startswith("protocol: chunk 0 was served over http/1.1")


def rewrite(folder, change):
    path = folder / SHARD_FILE
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d.update(version="0.0.1"), "made with different playgate versions"),
        (lambda d: d.update(settings="0123456789abcdef"), "made with different settings"),
        (lambda d: d.update(shard=[1, 2]), "are both shard 1/2: their setups overlap"),
        (lambda d: d.update(shard=[2, 3]), "split the setups differently"),
        (lambda d: d.update(runs=d["runs"][:1]), r"shard 2/2 has 1 of its 2 setups \(the others could not finish"),
    ],
    ids=["version", "settings", "overlap", "split", "incomplete"],
)
def test_shards_that_do_not_belong_together_are_refused_in_one_line(tmp_path, spoil, message):
    first, second = shards_on_disk(tmp_path)
    rewrite(second, spoil)
    with pytest.raises(UsageError, match=message):
        read_shards([first, second])


def test_different_settings_give_a_different_fingerprint(tmp_path):
    (first, _), (_, second) = shards_on_disk(tmp_path / "a"), shards_on_disk(tmp_path / "b", repeat=3)
    with pytest.raises(UsageError, match="made with different settings"):
        read_shards([first, second])


def test_a_missing_shard_or_folder_is_named(tmp_path, capsys):
    first, _ = shards_on_disk(tmp_path)
    with pytest.raises(UsageError, match=r"shard\(s\) 2/2 missing"):
        read_shards([first])
    assert main(["merge", str(tmp_path / "out"), str(first), str(tmp_path / "nothing")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "nothing/shard.json: no shard here" in line


def test_merge_exits_as_the_gate_would(tmp_path, capsys):
    assert main(["merge", str(tmp_path / "out"), *map(str, shards_on_disk(tmp_path))]) == 1
    assert "playgate merge: 4 runs from 2 shards, 2 passed, 2 failed" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"result.json", "har", "report.html", "junit.xml"}


def test_a_shard_needs_an_output_folder(capsys):
    assert main(["run", "--shard", "1/2"]) == 2
    assert "--shard 1/2 needs --output DIR" in capsys.readouterr().err
