"""Judge analytics after a stage (paths under stages/<pk>/analytics/)."""

from django.urls import path

from . import analytics_views as views

urlpatterns = [
    path("stages/<int:pk>/analytics/", views.stage_analytics, name="analytics_stage"),
]
