"""Judging: the judge's pages and API, the chief judge's console, paper sheets."""

from django.urls import path

from . import judging_views as views

urlpatterns = [
    path("judge/", views.judge_home, name="judge_home"),
    path("judge/stage/<int:pk>/", views.judge_stage, name="judge_stage"),
    path("api/scores/", views.api_submit_score, name="api_submit_score"),
    path("chief/<int:pk>/", views.chief_console, name="chief_console"),
    path("chief/<int:pk>/reopen/", views.chief_reopen, name="chief_reopen"),
    path("chief/<int:pk>/remark/", views.chief_remark, name="chief_remark"),
    path("chief/<int:pk>/excuse/", views.chief_excuse, name="chief_excuse"),
    path("chief/<int:pk>/close/", views.chief_close, name="chief_close"),
    path("chief/<int:pk>/decode/", views.chief_decode, name="chief_decode"),
    path("chief/<int:pk>/paper/", views.paper_upload, name="paper_upload"),
    path("chief/<int:pk>/paper/confirm/", views.paper_confirm, name="paper_confirm"),
    path("chief/<int:pk>/paper/template/", views.paper_template, name="paper_template"),
    path("chief/appearances/<int:pk>/history/", views.sheet_history, name="sheet_history"),
]
