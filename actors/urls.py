from django.urls import path

from actors import views

app_name = "actors"

urlpatterns = [
    path("mina-verksamheter/", views.my_units, name="my_units"),
    path("", views.directory, name="directory"),
    path("export.csv", views.directory_export, name="export"),
    path("import/", views.directory_import, name="import"),
    path("huvudman/", views.huvudman_directory, name="huvudman_list"),
    path("yrkespersoner/", views.professional_directory, name="professional_list"),
    path("styrgrupper/", views.steering_group_directory, name="steering_group_list"),
]
