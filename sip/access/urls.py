from django.urls import path

from sip.access import views

app_name = "access"

urlpatterns = [
    path("personer/<int:pk>/visa-skyddat/", views.unmask, name="unmask"),
    path("personer/<int:pk>/behorighet/", views.individual_authorise, name="individual_authorise"),
    path("personer/<int:pk>/loggutdrag/", views.person_report, name="person_report"),
    path("personer/<int:pk>/loggutdrag.csv", views.person_report_csv, name="person_report_csv"),
    path("loggkontroll/", views.review_list, name="review_list"),
    path("loggkontroll/logg/", views.log_list, name="log_list"),
    path("loggkontroll/<int:pk>/", views.review_detail, name="review_detail"),
    path(
        "loggkontroll/<int:pk>/poster/<int:item_pk>/",
        views.review_item_mark,
        name="review_item_mark",
    ),
    path("loggkontroll/<int:pk>/avsluta/", views.review_complete, name="review_complete"),
]
