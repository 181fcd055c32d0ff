"""The awards admin, split by concern: calls, applications (staff), and reviews (reviewers and assignment)."""

from . import applications, calls, reviews  # noqa: F401
