from django.urls import path

from sip.workspace import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("nytt/", views.case_new, name="case_new"),
    path("nytt/registrera/", views.case_new_register, name="case_new_register"),
    path("nytt/person/<int:pk>/", views.case_new_details, name="case_new_details"),
    path("nytt/<int:pk>/samtycke/", views.case_new_consent, name="case_new_consent"),
    path("nytt/<int:pk>/klart/", views.case_new_done, name="case_new_done"),
    path("verksamheter/", views.unit_pick_search, name="unit_pick_search"),
    path("verksamheter/<int:unit_pk>/vald/", views.unit_pick_chip, name="unit_pick_chip"),
    path("arenden/<int:pk>/bjud-in/", views.case_invite, name="case_invite"),
    path("arenden/<int:pk>/bjud-in/sok/", views.case_unit_search, name="case_unit_search"),
    path("arenden/<int:pk>/moten/nytt/", views.meeting_schedule, name="meeting_create"),
    path(
        "arenden/<int:pk>/moten/nytt/vecka/",
        views.meeting_schedule_week,
        name="meeting_schedule_week",
    ),
    path("arenden/<int:pk>/plan/", views.plan_edit, name="plan_edit"),
    path("arenden/<int:pk>/plan/rad/<str:kind>/", views.plan_row, name="plan_row"),
]
