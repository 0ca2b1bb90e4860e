from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("assemblies.urls")),
    path("", include("livechat.urls")),
    path("", include("minutes.urls")),
    path("", include("streaming.urls")),
]
