from django.urls import path

from . import hours_views as views

urlpatterns = [
    path("", views.my_hours, name="my_hours"),
    path("requirements/", views.requirements, name="hours_requirements"),
    path("requirements/new/", views.requirement_add, name="hours_requirement_add"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="hours_requirement_edit"),
    path("behind/", views.behind, name="hours_behind"),
    path("behind/export.xlsx", views.behind_export, name="hours_behind_export"),
    path("workers/<int:user_id>/", views.worker_hours, name="hours_worker"),
    path("entries/<int:pk>/correct/", views.correct_entry, name="hours_correct"),
    path("external/", views.external_list, name="hours_external"),
    path("external/new/", views.external_new, name="hours_external_new"),
    path("external/review/", views.external_review, name="hours_external_review"),
    path("external/<int:pk>/proof/", views.external_proof, name="hours_external_proof"),
    path("external/<int:pk>/decide/", views.external_decide, name="hours_external_decide"),
]
