"""Included into sip's namespace by sip/urls.py, so names read sip:deviation_…."""

from django.urls import path

from sip.deviations import views

urlpatterns = [
    path("avvikelser/", views.inbox, name="deviation_inbox"),
    path("avvikelser/ny/", views.report_create, name="deviation_create"),
    path(
        "avvikelser/ny/arende/<int:case_pk>/",
        views.report_create,
        name="deviation_create_for_case",
    ),
    path(
        "avvikelser/ny/arende/<int:case_pk>/mote/<int:meeting_pk>/",
        views.report_create,
        name="deviation_create_for_meeting",
    ),
    path(
        "avvikelser/ny/arende/<int:case_pk>/frist/<int:deadline_pk>/",
        views.report_create,
        name="deviation_create_for_deadline",
    ),
    path("avvikelser/styrgrupp/", views.steering, name="deviation_steering"),
    path("avvikelser/export.csv", views.export_csv, name="deviation_export"),
    path("avvikelser/statistik/", views.yearly, name="deviation_yearly"),
    path(
        "avvikelser/arende/<int:case_pk>/tidslinje/",
        views.case_timeline,
        name="deviation_case_timeline",
    ),
    path("avvikelser/<int:pk>/", views.report_detail, name="deviation_detail"),
    path("avvikelser/<int:pk>/<slug:step>/", views.report_step, name="deviation_step"),
]
