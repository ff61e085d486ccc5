"""Benchmarks: whole commands timed beside a reference (commands.py) and the fleet
(fleet_status.py)."""
