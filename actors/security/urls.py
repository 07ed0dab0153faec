from django.urls import path

from actors.security import views

app_name = "two_factor"

urlpatterns = [
    path("aktivera/", views.enrol, name="enrol"),
    path("verifiera/", views.verify, name="verify"),
]
