from django.urls import path

from livechat import views

app_name = "livechat"

urlpatterns = [
    path("sessions/<int:pk>/projector/", views.projector, name="projector"),
]
