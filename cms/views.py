from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from people.models import Role
from people.scope import scope_of


@login_required
def me(request):
    """我的: who I am, where I work, and my learning (filled in by the training app)."""
    user = request.user
    roles = Role.objects.filter(user=user).select_related("unit").order_by("kind")
    profile = getattr(user, "worker_profile", None)
    return render(
        request,
        "cms/me.html",
        {"roles": roles, "profile": profile, "manages_units": not scope_of(user).is_empty},
    )
