from django.urls import path

from agreements import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_index, name="list"),
    path("regler/", views.rule_index, name="rules"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("<int:pk>/kalla/", views.agreement_source, name="source"),
]
