from django.urls import path

from . import views

urlpatterns = [
    path("", views.roster, name="roster"),
    path("template.xlsx", views.roster_template, name="roster_template"),
    path("export.xlsx", views.roster_export, name="roster_export"),
    path("activation-codes.xlsx", views.roster_activation_codes, name="roster_activation_codes"),
    path("staffing/", views.staffing, name="staffing"),
    path("staffing.xlsx", views.staffing_export, name="staffing_export"),
    path("import/", views.roster_import, name="roster_import"),
    path("import/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path("import/<int:pk>/status/", views.roster_import_status, name="roster_import_status"),
    path("import/<int:pk>/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
]
