"""paved-road: render production-ready services from a Copier template and prove them valid."""

from __future__ import annotations

__version__ = "0.1.0"
