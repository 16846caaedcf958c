"""成长档案 URLs; the root URLconf includes them under "profile/" (inside the language prefix)."""

from django.urls import path

from . import profile_views as views

urlpatterns = [
    path("", views.profile_mine, name="profile_mine"),
    path("<int:user_id>/", views.profile_worker, name="profile_worker"),
    path("<int:user_id>.pdf", views.profile_pdf, name="profile_pdf"),
    path("<int:user_id>.xlsx", views.profile_xlsx, name="profile_xlsx"),
]
