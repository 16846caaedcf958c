from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from people.models import Role
from people.scope import scope_of
from training.progress import learner_home

from .casebook import name_paths


@login_required
def me(request):
    """我的: who I am, where I work, and my learning: what is due, progress, hours, continue."""
    user = request.user
    context = learner_home(user)
    roles = list(Role.objects.filter(user=user).select_related("unit").order_by("kind"))
    profile = context["profile"]
    units = [role.unit for role in roles] + ([profile.community] if profile else [])
    paths = name_paths(units)
    for role in roles:
        role.unit_path = paths.get(role.unit_id, "")
    # Only an admin role (or being a superuser) gives a scope: without one, nothing to ask.
    may_manage = user.is_superuser or any(role.kind == Role.Kind.ADMIN for role in roles)
    context.update(
        roles=roles,
        community_path=paths.get(profile.community_id, "") if profile else "",
        manages_units=may_manage and not scope_of(user).is_empty,
    )
    return render(request, "cms/me.html", context)


def casebook_home(request):
    """/cases/: the casebook page wherever editors put it, else the case search."""
    from .models import CasebookPage

    casebook = CasebookPage.objects.live().first()
    return redirect(casebook.url if casebook else "case_search")
