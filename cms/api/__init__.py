"""The read-only data API at /api/v1/ ("数据只报一次"): other government systems pull org units,
workers, hours, completions, certificates and contest results here instead of asking the
communities again. Each client holds a token bound to one org unit's subtree."""
