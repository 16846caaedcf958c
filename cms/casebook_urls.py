"""Mutual learning endpoints, included at "cases/" (under i18n_patterns) by cms.urls."""

from django.urls import path

from . import casebook_views as views

urlpatterns = [
    path("<int:pk>/bookmark/", views.toggle_bookmark, name="case_bookmark"),
    path("<int:pk>/useful/", views.toggle_useful, name="case_useful"),
    path("<int:pk>/apply/", views.apply_case, name="case_apply"),
    path("bookmarks/", views.my_bookmarks, name="my_bookmarks"),
]
