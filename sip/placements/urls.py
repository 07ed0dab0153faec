"""Placement URLs, added to the sip namespace by sip/urls.py."""

from django.urls import path

from sip.placements import views

urlpatterns = [
    path("placeringar/", views.placement_list, name="placement_list"),
    path(
        "personer/<int:individual_pk>/placeringar/ny/",
        views.placement_create,
        name="placement_create",
    ),
    path("placeringar/<int:pk>/", views.placement_detail_view, name="placement_detail"),
    path("placeringar/<int:pk>/avsluta/", views.placement_end, name="placement_end"),
    path(
        "placeringar/<int:pk>/gemensam-planering/",
        views.joint_planning_invited,
        name="placement_joint_planning",
    ),
    path(
        "placeringar/<int:pk>/behorighet/",
        views.placement_authorise,
        name="placement_authorise",
    ),
    path(
        "placeringar/<int:pk>/kostnadsfordelning/ny/",
        views.cost_split_create,
        name="cost_split_create",
    ),
    path(
        "placeringar/<int:pk>/kostnadsfordelning/<int:split_pk>/andelar/<int:share_pk>/godkann/",
        views.cost_share_agree,
        name="cost_share_agree",
    ),
    path(
        "placeringar/<int:pk>/kostnadsfordelning/<int:split_pk>/andelar/<int:share_pk>/avboj/",
        views.cost_share_decline,
        name="cost_share_decline",
    ),
    path(
        "placeringar/<int:pk>/undersokningar/",
        views.examination_request,
        name="examination_request",
    ),
    path(
        "placeringar/<int:pk>/undersokningar/<int:request_pk>/svar/",
        views.examination_answer,
        name="examination_answer",
    ),
]
