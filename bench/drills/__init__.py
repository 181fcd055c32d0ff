"""Fault drills: see docs/reliability.md and `make drills`."""
