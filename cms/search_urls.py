"""The casebook search; the site's urls include these under "cases/"."""

from django.urls import path

from . import search_views

urlpatterns = [
    path("search/", search_views.case_search, name="case_search"),
]
