"""/competitions/scenarios/: the library of scenario cards (the cards themselves are Wagtail pages)."""

from django.urls import path

from . import scenario_views

urlpatterns = [
    path("", scenario_views.scenario_library, name="scenario_library"),
]
