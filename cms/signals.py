"""Keep the site's section tree in step with the org tree; give a new site its review workflow."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from people import levels
from people.events import unit_moved
from people.models import OrgUnit

from .models import HomePage, SectionPage
from .sections import ensure_section
from .workflows import ensure_review_workflow


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


def install_review_workflow(sender, app_config=None, **kwargs):
    """After migrating, pages submitted for review go to their street, then their district."""
    if app_config is not None and app_config.label == "cms":
        home = HomePage.objects.first()
        if home is not None:
            ensure_review_workflow(home)
