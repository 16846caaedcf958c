"""The one answer to "what may this user see or manage".

Every list, report, export, import and API filters through `scope_of(user)`. An admin of a
unit manages that unit's whole subtree and nothing outside it; a superuser manages everything.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from .models import OrgUnit, Role, User


@dataclass(frozen=True)
class Scope:
    """The subtrees a user manages, as materialised-path prefixes."""

    paths: tuple[str, ...]
    everything: bool = False

    def _q(self, via: str) -> Q:
        prefix = f"{via}__path" if via else "path"
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{prefix}__startswith": p}) for p in self.paths))

    @property
    def units(self) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(self._q(""))

    def filter(self, queryset: QuerySet, via: str) -> QuerySet:
        """Keep rows whose org unit, reached through the lookup `via`, lies in scope.

        `scope.filter(WorkerProfile.objects.all(), via="community")`
        """
        if self.everything:
            return queryset
        filtered = queryset.filter(self._q(via))
        # Crossing a to-many relation can repeat rows.
        return filtered.distinct() if "__" in via else filtered

    def filter_overlapping(self, queryset: QuerySet, via: str) -> QuerySet:
        """Keep rows whose unit is in scope or above it (a city's contest seen by a district)."""
        if self.everything:
            return queryset
        above = {p for path in self.paths for p in ancestor_paths(path)}
        return queryset.filter(self._q(via) | Q(**{f"{via}__path__in": above}))

    def contains(self, unit: OrgUnit) -> bool:
        return self.contains_path(unit.path)

    def contains_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)

    def overlaps(self, unit: OrgUnit) -> bool:
        """The unit is in scope or holds part of it (a street admin and their district's plan)."""
        return self.contains(unit) or any(p.startswith(unit.path) for p in self.paths)

    def narrowed_to(self, unit: OrgUnit) -> "Scope":
        """The part of this scope under `unit`: nothing if the unit lies outside it."""
        return Scope(paths=(unit.path,)) if self.contains(unit) else Scope(paths=())

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.paths

    def users(self) -> QuerySet[User]:
        """People who hold any role in a unit in scope."""
        return self.filter(User.objects.all(), via="roles__unit")


def ancestor_paths(path: str) -> list[str]:
    """A unit's own path and those of every unit above it, top first."""
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _minimal(paths) -> tuple[str, ...]:
    """Drop paths that lie under another path of the set: their subtree is already in."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def scope_of(user, kind: str = Role.Kind.ADMIN) -> Scope:
    """The units `user` manages in the role `kind` (admin by default): their subtrees."""
    if not user.is_authenticated or not user.is_active:
        return Scope(paths=())
    if user.is_superuser:
        return Scope(paths=(), everything=True)
    paths = Role.objects.filter(user=user, kind=kind).values_list("unit__path", flat=True)
    return Scope(paths=_minimal(paths))
