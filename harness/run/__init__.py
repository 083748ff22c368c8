"""Run: a gate run end to end. Start the server for each mode, launch each browser once,
capture every run, judge it, hand it on (``runner``); ``compare`` runs two setups side by side.

May import: everything below the entry points (``capture``, ``judging``, ``reports``, ``server``,
``fixtures``, and the shared ``errors``, ``config``, ``records``).
"""
