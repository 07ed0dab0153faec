from django.urls import include, path

from sip import views
from sip.deviations import urls as deviation_urls
from sip.placements.urls import urlpatterns as placement_urls

app_name = "sip"

urlpatterns = [
    path("personer/ny/", views.individual_create, name="individual_create"),
    path("personer/<int:pk>/", views.individual_detail, name="individual_detail"),
    path("arenden/<int:pk>/", views.case_detail_view, name="case_detail"),
    path("arenden/<int:pk>/samtycke/", views.consent_create, name="consent_create"),
    path("arenden/<int:pk>/samtycke/nekat/", views.consent_refuse, name="consent_refuse"),
    path(
        "arenden/<int:pk>/samtycke/<int:consent_pk>/aterkalla/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("arenden/<int:pk>/avbryt/", views.case_cancel, name="case_cancel"),
    path("arenden/<int:pk>/avsluta/", views.case_close, name="case_close"),
    path("arenden/<int:pk>/ateroppna/", views.case_reopen, name="case_reopen"),
    path("arenden/<int:pk>/deltagare/", views.participant_create, name="participant_create"),
    path(
        "arenden/<int:pk>/deltagare/<int:participant_pk>/ta-bort/",
        views.participant_remove,
        name="participant_remove",
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/kalla/", views.kallelse_send, name="kallelse_send"
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/hallet/", views.meeting_held, name="meeting_held"
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/andra/",
        views.meeting_reschedule,
        name="meeting_reschedule",
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/stall-in/",
        views.meeting_cancel,
        name="meeting_cancel",
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/inbjudningar/<int:invitation_pk>/svar/",
        views.invitation_answer,
        name="invitation_answer",
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/kallelse.ics",
        views.meeting_ics_download,
        name="meeting_ics",
    ),
    path(
        "arenden/<int:pk>/moten/<int:meeting_pk>/kallelse/<int:participant_pk>.pdf",
        views.kallelse_pdf_download,
        name="kallelse_pdf",
    ),
    path("arenden/<int:pk>/plan.pdf", views.plan_pdf_download, name="plan_pdf"),
    path("", include("sip.workspace.urls")),
    path("", include("sip.agenda.urls")),
    path("", include("sip.access.urls")),
]

# Placements live in their own package but share the sip namespace.
urlpatterns += placement_urls
urlpatterns += deviation_urls.urlpatterns
urlpatterns += [path("statistik/", include("sip.statistics.urls"))]
