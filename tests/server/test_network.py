"""Network profiles (server.network) and the shaper's per-packet rules (server.shaper),
without devices: a lane writes what it releases into a pipe."""

import os
import random
import re

import pytest

from playgate.errors import UsageError
from playgate.server.network import PROFILES, parse_network
from playgate.server.shaped_path import PathFigures
from playgate.server.shaper import QUEUE_S, Lane


def test_named_profiles_and_the_custom_form():
    assert parse_network("rtt=80").rtt_ms == 80  # ms unless said
    assert parse_network("4g") is PROFILES["4g"]
    custom = parse_network("rtt=80ms,loss=1%,down=9mbit,up=500kbit,jitter=5ms")
    assert (custom.rtt_ms, custom.loss, custom.down_kbit, custom.up_kbit, custom.jitter_ms) == (80, 0.01, 9000, 500, 5)
    assert str(custom) == "rtt=80ms,loss=1%,down=9mbit,up=0.5mbit,jitter=5ms"
    assert str(PROFILES["lossy"]).startswith("lossy (rtt=100ms,loss=2%")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("5g", "give a profile (cable, 4g, lossy)"),
        ("loss=1%", "give the round trip"),
        ("rtt=80s", "give a profile"),
        ("rtt=80ms,loss=60%", "loss below 50 %"),
        ("rtt=10ms,jitter=20ms", "jitter at most the rtt"),
        ("rtt=80ms,down=9mb", "give a profile"),
    ],
)
def test_a_bad_profile_is_one_usage_error(text, says):
    with pytest.raises(UsageError, match=re.escape(f"--network {text!r}: ") + ".*" + re.escape(says)):
        parse_network(text)


@pytest.fixture
def pipe():
    read, write = os.pipe()
    os.set_blocking(read, False)
    yield read, write
    os.close(read)
    os.close(write)


def lane(out_fd, **kwargs):
    settings = {"kbit": None, "one_way_s": 0.040, "jitter_s": 0.0, "loss": 0.0, "rng": random.Random(1)}
    return Lane(out_fd, **{**settings, **kwargs})


def test_a_packet_is_released_half_a_round_trip_later_and_in_order(pipe):
    read, write = pipe
    path = lane(write)
    path.offer(b"first", 10.0)
    path.offer(b"second", 10.001)
    assert path.next_due() == pytest.approx(10.040)
    path.release(10.039)
    assert path.forwarded == 0
    path.release(10.041)
    assert os.read(read, 100) == b"firstsecond"
    assert (path.forwarded, path.octets) == (2, 11)


def test_bandwidth_queues_packets_behind_each_other(pipe):
    _, write = pipe
    path = lane(write, kbit=1000, one_way_s=0.0)  # 1 Mbit/s: 1250 bytes take 10 ms
    for _ in range(3):
        path.offer(bytes(1250), 0.0)
    assert [due for due, _ in path._queue] == pytest.approx([0.010, 0.020, 0.030])


def test_a_full_buffer_drops_rather_than_queueing_beyond_it(pipe):
    _, write = pipe
    path = lane(write, kbit=1000, one_way_s=0.0)
    packets = int(QUEUE_S / 0.010) + 10
    for _ in range(packets):
        path.offer(bytes(1250), 0.0)
    # The link's buffer holds QUEUE_S of sending: the rest are dropped, none queued past it.
    assert path.queue_full >= 9 and len(path._queue) == packets - path.queue_full
    assert path._queue[-1][0] <= QUEUE_S + 0.0101


def test_loss_drops_its_share(pipe):
    _, write = pipe
    path = lane(write, loss=0.02)
    for i in range(20_000):
        path.offer(b"x", i * 1e-6)
    assert path.lost / 20_000 == pytest.approx(0.02, rel=0.15)


def test_jitter_varies_the_delay_but_never_reorders(pipe):
    _, write = pipe
    path = lane(write, jitter_s=0.005)
    for i in range(2000):
        path.offer(b"x", i * 0.001)
    dues = [due for due, _ in path._queue]
    assert dues == sorted(dues)
    delays = [due - i * 0.001 for i, due in enumerate(dues)]
    assert 0.035 <= min(delays) and max(delays) <= 0.046
    assert max(delays) - min(delays) > 0.006


def figures(lost, rtt_ms=100.0, down=10_000.0, up=5_000.0):
    return PathFigures(rtt_ms=rtt_ms, down_kbit=down, up_kbit=up, lost=lost, sent=500)


def test_a_path_within_ten_percent_and_with_plausible_loss_matches():
    lossy = PROFILES["lossy"]  # 2 %: about 10 of 500 probes
    assert figures(lost=10).problems(lossy) == []
    assert figures(lost=4, rtt_ms=109.0, down=9_100.0, up=5_450.0).problems(lossy) == []


@pytest.mark.parametrize(
    ("measured", "says"),
    [
        (figures(lost=10, rtt_ms=115.0), "round trip 115 ms, not 100"),
        (figures(lost=10, down=8_500.0), "down 8.5 Mbit/s, not 10"),
        (figures(lost=10, up=None), "up 0.0 Mbit/s, not 5"),
        # No loss at all, or three times the profile's, is no chance of 2 % per packet.
        (figures(lost=0), "0 of 500 probe packets lost, where 2.0% loss drops about 10"),
        (figures(lost=30), "30 of 500 probe packets lost"),
    ],
)
def test_a_path_off_its_profile_says_how(measured, says):
    assert any(says in problem for problem in measured.problems(PROFILES["lossy"]))


def test_a_profile_without_loss_tolerates_a_stray_drop_but_not_a_busy_shaper():
    cable = PROFILES["cable"]
    assert figures(lost=2, rtt_ms=20.0, down=50_000.0, up=10_000.0).problems(cable) == []
    assert figures(lost=20, rtt_ms=20.0, down=50_000.0, up=10_000.0).problems(cable) != []
