from django.urls import path

from deadlines import views

app_name = "deadlines"

urlpatterns = [
    path("notiser/", views.notification_list, name="notifications"),
    path("notiser/<int:pk>/last/", views.notification_read, name="notification_read"),
    path("notiser/alla-lasta/", views.notification_read_all, name="notifications_read_all"),
    path("forsenade/", views.overdue_list, name="overdue"),
    path("forsenade/export.csv", views.overdue_export, name="overdue_export"),
]
