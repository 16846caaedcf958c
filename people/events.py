"""Signals this layer sends, for upper layers that mirror the org tree (the site's sections).

Sending a signal lets `people` tell others without importing them.
"""

from django.dispatch import Signal

# After an org unit, with its subtree, has moved. Arguments: unit, new_parent (both OrgUnit).
unit_moved = Signal()
