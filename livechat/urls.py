from django.urls import path

from livechat import views

app_name = "livechat"

urlpatterns = [
    path("sessions/<int:pk>/projector/", views.projector, name="projector"),
    path("sessions/<int:pk>/chat.csv", views.session_export, {"fmt": "csv"}, name="export_csv"),
    path("sessions/<int:pk>/chat.md", views.session_export, {"fmt": "md"}, name="export_md"),
]
