"""汇编成册 URLs; the root URLconf includes them under "cases/booklets/"."""

from django.urls import path

from . import booklet_views as views

urlpatterns = [
    path("", views.booklet_list, name="booklet_list"),
    path("new/", views.booklet_new, name="booklet_new"),
    path("<int:pk>/", views.booklet_detail, name="booklet_detail"),
    path("<int:pk>/status/", views.booklet_status, name="booklet_status"),
    path("<int:pk>/download/", views.booklet_download, name="booklet_download"),
]
