from django.urls import path

from streaming import views

app_name = "streaming"

urlpatterns = [
    path("streaming/hooks/nginx-rtmp/", views.nginx_rtmp_hook, name="hook_nginx"),
    path("streaming/hooks/mediamtx/", views.mediamtx_hook, name="hook_mediamtx"),
    path("streaming/hooks/owncast/<str:key>/", views.owncast_hook, name="hook_owncast"),
    path("sessions/<int:pk>/stream/", views.stream_settings, name="settings"),
    path("sessions/<int:pk>/stream/key/", views.stream_new_key, name="new_key"),
    path("sessions/<int:pk>/stream/start/", views.stream_start, name="start"),
    path("sessions/<int:pk>/stream/end/", views.stream_end, name="end"),
    path("sessions/<int:pk>/stream/cancel/", views.stream_cancel, name="cancel"),
    path("sessions/<int:pk>/chapters.vtt", views.chapters_vtt, name="chapters"),
    path("sessions/<int:pk>/attendance.csv", views.attendance_csv, name="attendance"),
    path("sessions/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("sessions/<int:pk>/check-in/code/", views.check_in_code, name="check_in_code"),
]
