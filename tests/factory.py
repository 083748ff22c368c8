"""Records built by hand for tests of what reads them."""

from playgate.records import ChunkRecord, NetworkRecord, PageChunk, ResourceTiming, RunRecord


def network(url, *, protocol="h2", blocked_ms=1.0, source="cdp", **overrides):
    fields = dict(
        url=url,
        source=source,
        protocol=protocol,
        connection_id="110" if source == "cdp" else None,
        connection_reused=True if source == "cdp" else None,
        status=206,
        bytes=100_000,
        blocked_ms=blocked_ms,
        queued_ms=(blocked_ms if source == "cdp" else None),
        dns_ms=None,
        connect_ms=None,
        tls_ms=None,
        send_ms=0.3,
        wait_ms=2.0,
        receive_ms=5.0,
        started_at=1_790_000_000.0,
        method="GET",
        mime_type="video/mp4",
    )
    fields.update(overrides)
    return NetworkRecord(**fields)


def chunk(index, *, load_ms=40.0, download_end_ms=None, error=None, net=..., **net_overrides):
    url = f"https://127.0.0.1:4443/chunks/chunk-{index:03d}.mp4?i={index}"
    event = 1000.0 + 200 * index
    page = PageChunk(
        index=index,
        url=url,
        event_ms=event,
        loadstart_ms=event + 1,
        loadeddata_ms=None if load_ms is None else event + load_ms,
        first_frame_ms=None if load_ms is None else event + load_ms + 5,
        error=error,
    )
    end = event + (download_end_ms if download_end_ms is not None else 10.0)
    timing = ResourceTiming(url, net_overrides.get("protocol", "h2"), event + 1, event + 2, event + 5, end)
    record = network(url, **net_overrides) if net is ... else net
    return ChunkRecord(index=index, url=url, network=record, page=page, resource_timing=timing)


def run(*chunks, browser="chromium", expected=None, finished=True, mode="h2", requests=None):
    """A run at the reference server in ``mode`` (labelled so), or with ``mode`` "url" at a URL."""
    if requests is None:
        requests = tuple(c.network for c in chunks if c.network is not None)
    return RunRecord(
        browser=browser,
        browser_version="156.0",
        label=mode,
        mode=None if mode == "url" else mode.split()[0],
        pressure="media:5",
        url="https://127.0.0.1:4443/?chunks=3",
        chunks=tuple(chunks),
        announced=len(chunks),
        expected=len(chunks) if expected is None else expected,
        finished=finished,
        requests=requests,
        page_time_origin_ms=1_790_000_000_000.0 - 1000.0,
    )


def beside_an_event_stream(*chunks, source="cdp", **settings):
    """A run whose chunks share their h2 connection with an open event stream: with the
    server's stream limit unknown, nothing says whether that stream held them."""
    events = network("https://127.0.0.1:4443/events", started_at=1_789_999_999.0, source=source)
    return run(*chunks, requests=(events, *(c.network for c in chunks)), **settings)


def one_stall_playback():
    """Playback whose first frame came at 840 ms and which stalled 1210 ms at 3 s of media."""
    from playgate.playback_record import Playback

    return Playback.from_page(
        {"play_ms": 700.0, "first_frame_ms": 840.0, "stalls": [
            {"video": 0, "start_ms": 3840.0, "end_ms": 5050.0, "position_s": 3.0, "src": "blob:x"}], "quality": []},
        ended_ms=6000.0,
    )  # fmt: skip
