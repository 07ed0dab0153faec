"""Included by sip/urls.py under "statistik/", so the names live in the sip namespace."""

from django.urls import path

from sip.statistics import views

urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path("statistik.csv", views.statistics_csv, name="statistics_csv"),
    path("statistik.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("rapport.pdf", views.statistics_pdf, name="statistics_pdf"),
]
