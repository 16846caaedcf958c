"""/competitions/: each part of a contest keeps its own views and urls; they share one namespace."""

from django.urls import include, path

app_name = "competitions"

urlpatterns = [
    path("", include("competitions.setup_urls")),
    path("", include("competitions.judging_urls")),
    path("", include("competitions.results_urls")),
    path("", include("competitions.export_urls")),
    path("", include("competitions.analytics_urls")),
    path("scenarios/", include("competitions.scenario_urls")),
]
