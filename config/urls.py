from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config import views

admin.site.site_header = _("Samordna – administration")
admin.site.site_title = _("Samordna")
admin.site.index_title = _("Katalog och regler")

urlpatterns = [
    path("", views.home, name="home"),
    path("logga-in/", auth_views.LoginView.as_view(), name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("katalog/", include("actors.urls")),
    path("frister/", include("deadlines.urls")),
    path("sip/", include("sip.urls")),
    path("avtal/", include("agreements.urls")),
    path("admin/", admin.site.urls),
    path("tvafaktor/", include("actors.security.urls")),
]
