"""How the page's videos played, as the page saw it: the record the playback rules judge
(judging.playback) and the reports show, read from the page by capture.playback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def round_ms(value: float | None) -> float | None:
    """A figure as the reports write it: to 0.1 ms; None stays None."""
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Stall:
    """A video that had presented a frame waited for data (page time, ms)."""

    video: int  # the page's playing videos, in the order they were first seen
    start_ms: float
    end_ms: float | None  # None: still stalled when the run ended
    position_s: float  # the media time it stopped at
    src: str | None  # the video's source (a blob: URL for a Media Source)

    @property
    def duration_ms(self) -> float | None:
        return None if self.end_ms is None else self.end_ms - self.start_ms


@dataclass(frozen=True)
class Playback:
    """How the page's videos played, as the page saw it (page time: navigation at 0)."""

    play_ms: float | None  # the first play() or autoplay
    first_frame_ms: float | None  # the first frame any video presented
    stalls: tuple[Stall, ...]
    frames: int | None  # presented and dropped, over the videos that played
    dropped_frames: int | None
    ended_ms: float  # when the run stopped watching

    @classmethod
    def from_page(cls, data: dict[str, Any], ended_ms: float) -> Playback:
        # Videos that presented a frame yet count none: the browser does not count them
        # (WebKitGTK's getVideoPlaybackQuality reads 0): not given, rather than 0 of 0.
        quality = [q for q in data.get("quality") or [] if q["total"] > 0]
        return cls(
            play_ms=data.get("play_ms"),
            first_frame_ms=data.get("first_frame_ms"),
            stalls=tuple(Stall(**stall) for stall in data.get("stalls") or ()),
            frames=sum(q["total"] for q in quality) if quality else None,
            dropped_frames=sum(q["dropped"] for q in quality) if quality else None,
            ended_ms=ended_ms,
        )

    @property
    def played(self) -> bool:
        return self.play_ms is not None or self.first_frame_ms is not None

    @property
    def startup_ms(self) -> float | None:
        """Navigation -> the first presented frame."""
        return self.first_frame_ms

    @property
    def stalled_ms(self) -> float:
        """Every stall's length, an open one up to the run's end."""
        return sum((s.end_ms if s.end_ms is not None else self.ended_ms) - s.start_ms for s in self.stalls)

    @property
    def stall_ratio(self) -> float | None:
        """Stalled time over the time since the first frame."""
        if self.first_frame_ms is None or self.ended_ms <= self.first_frame_ms:
            return None
        return self.stalled_ms / (self.ended_ms - self.first_frame_ms)

    @property
    def dropped_ratio(self) -> float | None:
        return None if not self.frames or self.dropped_frames is None else self.dropped_frames / self.frames

    def to_json(self) -> dict[str, Any]:
        return {
            "play_ms": round_ms(self.play_ms),
            "startup_ms": round_ms(self.startup_ms),
            "stalls": [
                {"start_ms": round_ms(s.start_ms), "duration_ms": round_ms(s.duration_ms), "position_s": s.position_s}
                for s in self.stalls
            ],
            "stalled_ms": round_ms(self.stalled_ms),
            "stall_ratio": None if self.stall_ratio is None else round(self.stall_ratio, 4),
            "frames": self.frames,
            "dropped_frames": self.dropped_frames,
        }
