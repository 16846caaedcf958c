from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from people.models import Role
from people.scope import scope_of
from training import hours
from training.plans import electives_for, ensure_enrolments
from training.progress import my_learning


@login_required
def me(request):
    """我的: who I am, where I work, and my learning: what is due, progress, hours, continue."""
    user = request.user
    # Required courses reach workers through plans; enrol lazily so new workers see them too.
    ensure_enrolments(user)
    roles = Role.objects.filter(user=user).select_related("unit").order_by("kind")
    profile = getattr(user, "worker_profile", None)
    learning = my_learning(user)
    return render(
        request,
        "cms/me.html",
        {
            "roles": roles,
            "profile": profile,
            "learning": learning,
            "standing": hours.standing(user, learning["year"]) if profile else None,
            "electives": electives_for(user),
            "manages_units": not scope_of(user).is_empty,
        },
    )


def casebook_home(request):
    """/cases/: the casebook page wherever editors put it, else the case search."""
    from .models import CasebookPage

    casebook = CasebookPage.objects.live().first()
    return redirect(casebook.url if casebook else "case_search")
