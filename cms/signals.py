"""Keep the site's section tree in step with the org tree."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from people import levels
from people.events import unit_moved
from people.models import OrgUnit

from .models import HomePage, SectionPage
from .sections import ensure_section


@receiver(post_save, sender=OrgUnit)
def give_new_unit_a_section(sender, instance, created, raw=False, **kwargs):
    home = HomePage.objects.first()
    if created and not raw and home is not None and instance.level in levels.PUBLISHING:
        ensure_section(instance, home)


@receiver(unit_moved)
def move_section_with_unit(sender, unit, new_parent, **kwargs):
    """A street moved to another district takes its section along, out of the old admins' reach."""
    section = SectionPage.objects.filter(unit=unit).first()
    if section is None or new_parent is None:
        return
    home = HomePage.objects.first()
    new_parent_section = ensure_section(new_parent, home)
    if section.get_parent().pk != new_parent_section.pk:
        section.move(new_parent_section, pos="last-child")
