"""Keep group memberships in step with roles, so Wagtail's permissions follow the org tree."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Role


def _sync_membership(role: Role, present: bool):
    if role.kind not in Role.EDITING_KINDS:
        return
    group = role.unit.group_for(role.kind)
    if present:
        role.user.groups.add(group)
    else:
        role.user.groups.remove(group)


@receiver(post_save, sender=Role)
def role_saved(sender, instance, **kwargs):
    _sync_membership(instance, present=True)


@receiver(post_delete, sender=Role)
def role_deleted(sender, instance, **kwargs):
    _sync_membership(instance, present=False)
