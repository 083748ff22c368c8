"""The Range header's grammar (RFC 9110 14.1-14.2), checked strictly before serving.

Starlette serves byte ranges but parses them leniently: ``bytes=+1-2`` and ``bytes=1_0-20``
pass through Python's ``int``, junk after a good range is dropped (``bytes=1-2,abc``), and
any unit starting with "bytes" is taken for bytes. Here a header is sorted first:

- a unit other than ``bytes``: ignored, as RFC 9110 14.2 requires (the whole file, 200);
- ``bytes`` with a range set that does not follow the grammar, or a range whose last
  position is before its first: 400 with what is wrong;
- a well-formed byte range set: its unsatisfiable ranges dropped, the rest coalesced into
  one span that Starlette answers 206 (see ``range_to_serve``), or 416 when none remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# range-spec = int-range / suffix-range; int-range = first-pos "-" [ last-pos ];
# suffix-range = "-" suffix-length. Positions are DIGITs only: no sign, no underscore.
_RANGE_SPEC = re.compile(r"(?P<first>[0-9]+)-(?P<last>[0-9]*)|-(?P<suffix>[0-9]+)")
_UNIT = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # token (RFC 9110 5.6.2)
_OWS = " \t"


class MalformedRange(ValueError):
    """A bytes Range header that does not follow RFC 9110's grammar."""


@dataclass(frozen=True)
class ByteRange:
    first: int | None  # None: a suffix range, the last ``suffix`` bytes
    last: int | None  # None: to the end
    suffix: int | None = None

    def satisfiable(self, size: int) -> bool:
        """RFC 9110 14.1.2: a first position inside the file, or a suffix of at least one byte."""
        return self.suffix > 0 if self.suffix is not None else self.first is not None and self.first < size

    def span(self, size: int) -> tuple[int, int]:
        """The first and last byte positions this range covers in a file of ``size`` bytes."""
        if self.suffix is not None:
            return max(0, size - self.suffix), size - 1
        assert self.first is not None
        return self.first, size - 1 if self.last is None else min(self.last, size - 1)

    def __str__(self) -> str:
        if self.suffix is not None:
            return f"-{self.suffix}"
        return f"{self.first}-{'' if self.last is None else self.last}"


WHOLE_FILE = "whole file"  # range_to_serve: ignore the Range and send the whole file (200)


def range_to_serve(ranges: list[ByteRange], size: int) -> str | None:
    """What a file of ``size`` bytes answers a well-formed byte range set with: a ``bytes=``
    value of one span (206), WHOLE_FILE (200), or None when no range is satisfiable (416).

    - 416 only when none can be satisfied (RFC 9110 14.1.2): ``bytes=0-,999999-`` is the
      whole file, where Starlette answers 416 when any range lies past the end;
    - a suffix longer than the file is the whole file (14.1.1);
    - overlapping or adjacent ranges are coalesced (14.3); when disjoint ones remain the
      Range is ignored (14.2 permits it). Media clients ask for one range, and Starlette
      before 0.47 miscounts a multipart body's length, so no multipart is sent.
    """
    spans = sorted(r.span(size) for r in ranges if r.satisfiable(size))
    if not spans:
        return None
    first, last = spans[0]
    for next_first, next_last in spans[1:]:
        if next_first > last + 1:
            return WHOLE_FILE
        last = max(last, next_last)
    return f"bytes={first}-{last}"


def range_unit(value: str) -> str | None:
    """The unit of a Range header value, lowercased; None when it has no ``unit=`` form."""
    unit, equals, _ = value.strip(_OWS).partition("=")
    return unit.lower() if equals and _UNIT.fullmatch(unit) else None


def parse_byte_ranges(value: str) -> list[ByteRange]:
    """The ranges of a ``bytes=`` header value, in the order given.

    Empty list elements are allowed, as RFC 9110 5.6.1 asks of a recipient; at least one
    range is required.
    """
    unit, _, range_set = value.strip(_OWS).partition("=")
    if unit.lower() != "bytes":
        raise MalformedRange(f"Range unit {unit!r} is not bytes")
    ranges = []
    for element in range_set.split(","):
        spec = element.strip(_OWS)
        if not spec:
            continue
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            raise MalformedRange(f"Range {spec!r} is not first-last, first- or -suffix in digits")
        if match["suffix"] is not None:
            ranges.append(ByteRange(None, None, int(match["suffix"])))
            continue
        first, last = int(match["first"]), int(match["last"]) if match["last"] else None
        if last is not None and last < first:
            raise MalformedRange(f"Range {spec!r} ends before it starts")
        ranges.append(ByteRange(first, last))
    if not ranges:
        raise MalformedRange("Range header names no range")
    return ranges
