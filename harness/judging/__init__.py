"""Judging: what the records mean. The gate's rules and verdict (``gate``), the network record
against the page's Resource Timing (``crosscheck``), and the figures against faults injected
with a known size (``groundtruth``). Reads records; measures nothing.

May import: ``playgate.errors``, ``playgate.config``, ``playgate.records``.
"""
