from django.urls import include, path

from . import certificate_views, views

urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("lessons/<int:pk>/report/", views.lesson_report, name="lesson_report"),
    path("lessons/<int:pk>/complete/", views.lesson_complete, name="lesson_complete"),
    path("courses/<int:pk>/enrol/", views.course_enrol, name="course_enrol"),
    path("courses/<int:pk>/lineage/", views.lineage, name="course_lineage"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_progress, name="plan_progress"),
    path("plans/<int:pk>/nominate/", views.plan_nominate, name="plan_nominate"),
    path("plans/<int:pk>/export.xlsx", views.plan_progress_export, name="plan_progress_export"),
    path("", include("training.exam_urls")),
    path("hours/", include("training.hours_urls")),
    path("sessions/", include("training.session_urls")),
    path("verify/", certificate_views.certificate_lookup, name="certificate_lookup"),
    path("verify/<str:code>/", certificate_views.certificate_verify, name="certificate_verify"),
    path("certificates/", certificate_views.my_certificates, name="my_certificates"),
    path(
        "certificates/<str:code>/download/",
        certificate_views.certificate_download,
        name="certificate_download",
    ),
    path(
        "certificates/<str:code>/revoke/",
        certificate_views.certificate_revoke,
        name="certificate_revoke",
    ),
]
