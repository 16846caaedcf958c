from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"),
]
