"""``python -m playgate``: the ``playgate`` command."""

import sys

from playgate.doors.cli import main

sys.exit(main())
