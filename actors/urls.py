from django.urls import path

from actors import views

app_name = "actors"

urlpatterns = [
    path("mina-verksamheter/", views.my_units, name="my_units"),
    path("", views.directory, name="directory"),
    path("export.csv", views.directory_export, name="export"),
    path("import/", views.directory_import, name="import"),
]
