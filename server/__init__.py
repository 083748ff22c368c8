"""The reference avatar server: a Starlette app shaped like a realtime avatar backend, served
by Hypercorn in a child process (``launcher``), with nginx in front where a mode asks for it
(``proxy``, ``serving``). Fault knobs and pressures are its settings (``settings``).

May import: ``playgate.errors``, ``playgate.fixtures``.
"""
