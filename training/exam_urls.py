"""The worker's exam pages; included by the site under "training/"."""

from django.urls import path

from . import exam_views

urlpatterns = [
    path("exams/<int:exam_id>/", exam_views.exam_start, name="exam_start"),
    path("exams/attempts/<int:pk>/", exam_views.exam_attempt, name="exam_attempt"),
    path("exams/attempts/<int:pk>/submit/", exam_views.exam_submit, name="exam_submit"),
    path("exams/attempts/<int:pk>/review/", exam_views.exam_review, name="exam_review"),
]
