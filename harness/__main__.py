"""``python -m playgate``: the ``playgate`` command."""

import sys

from playgate.entrypoints.cli import main

sys.exit(main())
