from django.urls import path

from minutes import views

app_name = "minutes"

urlpatterns = [
    path("sessions/<int:pk>/minutes/", views.published, name="published"),
    path("sessions/<int:pk>/minutes/<slug:action>/", views.workflow_action, name="workflow_action"),
]
