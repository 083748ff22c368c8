"""Reports: judged runs as people and machines read them. The chunk table and verdict text
(``table``), the JSON result (``result``), HAR 1.2 files (``har``), the HTML report (``html``),
and where they are written (``outputs``, ``files``). Lays out figures; derives none.

May import: ``playgate.errors``, ``playgate.config``, ``playgate.records``, ``playgate.judging``.
"""
