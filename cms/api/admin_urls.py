"""Admin pages for API clients; the lead includes these under i18n_patterns at /api-clients/."""

from django.urls import path

from . import admin_views

urlpatterns = [
    path("", admin_views.client_list, name="api_client_list"),
    path("new/", admin_views.client_new, name="api_client_new"),
    path("<int:pk>/", admin_views.client_detail, name="api_client_detail"),
    path("<int:pk>/revoke/", admin_views.client_revoke, name="api_client_revoke"),
]
