"""First decoded video frame with PyAV: from downloaded bytes, or while still downloading."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av

from playgate.errors import MeasurementError


class NotVideo(MeasurementError):
    pass


def _first_frame(source: io.IOBase | io.BytesIO) -> None:
    try:
        with av.open(source, mode="r", options={"probesize": "32768", "analyzeduration": "0"}) as container:
            if not container.streams.video:
                raise NotVideo("the body has no video stream")
            next(container.decode(video=0))
    except StopIteration:
        raise NotVideo("the body's video stream has no decodable frame") from None
    except av.FFmpegError as exc:
        raise NotVideo(f"the body is not a decodable video ({exc})") from exc


def first_frame_from_bytes(data: bytes) -> None:
    """Decode the first video frame of a complete or partial download."""
    _first_frame(io.BytesIO(data))


class _ChunkStream(io.RawIOBase):
    """A read-only, non-seekable file over an iterator of byte blocks, counting what it read."""

    def __init__(self, prefix: bytes, blocks: Iterator[bytes]) -> None:
        self._buffer = bytearray(prefix)
        self._blocks = blocks
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._buffer += block
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        del self._buffer[:size]
        self.consumed += size
        return size


def first_frame_from_stream(prefix: bytes, blocks: Iterator[bytes]) -> int:
    """Decode the first frame while the rest still arrives; returns the bytes it needed."""
    stream = _ChunkStream(prefix, blocks)
    _first_frame(io.BufferedReader(stream))
    return stream.consumed
