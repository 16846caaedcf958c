"""The read-only data API at /api/v1/."""
