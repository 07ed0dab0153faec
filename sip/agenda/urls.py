from django.urls import path

from sip.agenda import views

urlpatterns = [
    path("kalender/", views.calendar_week, name="calendar_week"),
    path("kalender/manad/", views.calendar_month, name="calendar_month"),
    path("kalender/prenumeration/", views.calendar_subscription, name="calendar_subscription"),
    path("kalender/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
