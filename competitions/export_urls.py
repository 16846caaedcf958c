"""Exports: results as Excel, score sheets to sign, award certificates (paths under exports/)."""

from django.urls import path

from . import export_views as views

urlpatterns = [
    path("exports/<int:pk>/", views.export_index, name="export_index"),
    path("exports/<int:pk>/certificates/", views.export_certificates, name="export_certificates"),
    path("exports/stages/<int:pk>/scores.xlsx", views.export_stage_xlsx, name="export_stage_xlsx"),
    path(
        "exports/stages/<int:pk>/score-sheets.pdf",
        views.export_score_sheets_pdf,
        name="export_score_sheets_pdf",
    ),
    path("exports/rounds/<int:pk>/result.xlsx", views.export_round_xlsx, name="export_round_xlsx"),
]
