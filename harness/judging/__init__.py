"""Judging: what the records mean. The gate's rules and verdict (``gate``), why a chunk waited
(``attribution``), which protocol carried it and why not h3 (``protocols``), the network record
against the page's Resource Timing (``crosscheck``), and the figures against faults injected
with a known size (``groundtruth``). Reads records; measures nothing.

May import: ``playgate.errors``, ``playgate.config``, ``playgate.records``.
"""
