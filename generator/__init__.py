"""paved-road: render production-ready services from a Copier template and prove them valid."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "paved-road"


def _version() -> str:
    """The toolkit's version: ``project.version`` of pyproject.toml, its one home, as the
    installed distribution records it (`pip install` reads it from there)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"  # imported from a checkout that was never installed


__version__ = _version()
