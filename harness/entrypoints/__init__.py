"""Entry points: the ways in. The ``playgate`` command (``cli``), the pytest plugin (``pytest_plugin``),
the Python functions and assertions (``api``, ``assertions``), and the one ``Options`` object
all three are set with (``options``). Thin: the work is done in the layers below.

May import: anything in playgate.
"""
