"""The fleet view: every service repository generated from the template, in one place.

``status`` says where each repository stands (versions, drift, readiness); ``plan`` orders
the ones that are behind into upgrade waves for CI to run.
"""

from __future__ import annotations

from generator.fleet.plan import plan
from generator.fleet.status import RepoStatus, fleet_status, readiness_score

__all__ = ["RepoStatus", "fleet_status", "plan", "readiness_score"]
