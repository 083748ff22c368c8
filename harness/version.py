"""playgate's version, as installed (pyproject.toml's): shown by ``--version``, written into
the JSON result and the HAR's creator."""

from importlib import metadata

try:
    VERSION = metadata.version("playgate")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    VERSION = "unknown"
