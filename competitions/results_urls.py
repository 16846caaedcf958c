"""Results, release, appeals and the venue scoreboard (paths under results/, appeals/, scoreboard/)."""

from django.urls import path

from . import results_views as views

urlpatterns = [
    path("results/", views.results_list, name="results_list"),
    path("results/<int:pk>/", views.result_detail, name="result_detail"),
    path("results/<int:pk>/<str:kind>", views.result_download, name="result_download"),
    path("results/rounds/<int:pk>/", views.round_preview, name="round_preview"),
    path("results/rounds/<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("results/rounds/<int:pk>/finalise/", views.round_finalise, name="round_finalise"),
    path("results/files/<str:level>/<int:pk>.zip", views.stage_files, name="stage_files"),
    path("results/<int:pk>/appeal/", views.appeal_file, name="appeal_file"),
    path("appeals/<int:pk>/", views.appeals_console, name="appeals_console"),
    path("appeals/decide/<int:pk>/", views.appeal_decide, name="appeal_decide"),
    path("scoreboard/<int:pk>/", views.scoreboard, name="scoreboard"),
    path("scoreboard/<int:pk>/data/", views.scoreboard_data, name="scoreboard_data"),
]
