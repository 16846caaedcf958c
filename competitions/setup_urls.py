"""/competitions/: the home page and the organiser's set-up pages (structure, registration, draws)."""

from django.urls import path

from . import setup_views as views

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.competition_new, name="competition_new"),
    path("<int:pk>/", views.competition_detail, name="competition_detail"),
    path("<int:pk>/edit/", views.competition_edit, name="competition_edit"),
    path("<int:pk>/status/", views.competition_status, name="competition_status"),
    path("<int:pk>/rounds/new/", views.round_form, name="round_new"),
    path("<int:pk>/rounds/<int:round_id>/", views.round_form, name="round_edit"),
    path("<int:pk>/rounds/<int:round_id>/delete/", views.round_delete, name="round_delete"),
    path("<int:pk>/rounds/<int:round_id>/stages/new/", views.stage_form, name="stage_new"),
    path("<int:pk>/stages/<int:stage_id>/", views.stage_form, name="stage_edit"),
    path("<int:pk>/stages/<int:stage_id>/delete/", views.stage_delete, name="stage_delete"),
    path("<int:pk>/stages/<int:stage_id>/rubric/", views.stage_rubric, name="stage_rubric"),
    path("<int:pk>/stages/<int:stage_id>/open/", views.stage_open, name="stage_open"),
    path("<int:pk>/stages/<int:stage_id>/rooms/", views.stage_rooms, name="stage_rooms"),
    path(
        "<int:pk>/stages/<int:stage_id>/rooms/<int:room_id>/",
        views.stage_rooms,
        name="room_edit",
    ),
    path(
        "<int:pk>/stages/<int:stage_id>/rooms/<int:room_id>/delete/",
        views.room_delete,
        name="room_delete",
    ),
    path("<int:pk>/stages/<int:stage_id>/draw/", views.stage_draw, name="stage_draw"),
    path("<int:pk>/conflicts/", views.conflicts, name="conflicts"),
    path(
        "<int:pk>/conflicts/<int:conflict_id>/delete/",
        views.conflict_delete,
        name="conflict_delete",
    ),
    path("<int:pk>/registrations/", views.registrations, name="registrations"),
    path(
        "<int:pk>/registrations/nominate/",
        views.registration_nominate,
        name="registration_nominate",
    ),
    path(
        "<int:pk>/registrations/<int:registration_id>/decide/",
        views.registration_decide,
        name="registration_decide",
    ),
    path(
        "<int:pk>/registrations/<int:registration_id>/withdraw/",
        views.registration_withdraw,
        name="registration_withdraw",
    ),
    path("<int:pk>/quotas/", views.quotas, name="quotas"),
    path("<int:pk>/quotas/<int:quota_id>/delete/", views.quota_delete, name="quota_delete"),
]
