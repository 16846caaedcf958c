"""Training bases and offline sessions, under /training/sessions/."""

from django.urls import path

from . import session_views as views

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_new, name="session_new"),
    path("scan/", views.session_scan, name="session_scan"),
    path("bases/", views.base_list, name="base_list"),
    path("bases/new/", views.base_new, name="base_new"),
    path("bases/<int:pk>/edit/", views.base_edit, name="base_edit"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("<int:pk>/signup/", views.session_signup, name="session_signup"),
    path("<int:pk>/signup/cancel/", views.session_signup_cancel, name="session_signup_cancel"),
    path("<int:pk>/qr/", views.session_qr, name="session_qr"),
    path("<int:pk>/qr/current/", views.session_qr_current, name="session_qr_current"),
    path("<int:pk>/attendance/", views.session_attendance, name="session_attendance"),
    path("<int:pk>/paper/", views.session_paper, name="session_paper"),
    path(
        "<int:pk>/paper/template.xlsx",
        views.session_paper_template,
        name="session_paper_template",
    ),
]
