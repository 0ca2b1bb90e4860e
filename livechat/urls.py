from django.urls import path

from livechat import views

app_name = "livechat"

urlpatterns = [
    path("sessions/<int:pk>/projector/", views.projector, name="projector"),
    path("sessions/<int:pk>/chat.csv", views.session_export, {"fmt": "csv"}, name="export_csv"),
    path("sessions/<int:pk>/chat.md", views.session_export, {"fmt": "md"}, name="export_md"),
    path("sessions/<int:pk>/chat/settings/", views.chat_settings, name="chat_settings"),
    path("events/<slug:slug>/bridge/", views.bridge_settings, name="bridge_settings"),
    path(
        "sessions/<int:pk>/chat/barred/<int:user_id>/lift/",
        views.lift_sanction,
        name="lift_sanction",
    ),
]
