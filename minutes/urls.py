from django.urls import path

from minutes import views

app_name = "minutes"

urlpatterns = [
    path("sessions/<int:pk>/minutes/", views.published, name="published"),
    path("sessions/<int:pk>/minutes/history/", views.history, name="history"),
    path(
        "sessions/<int:pk>/minutes/history/revisions/",
        views.history_revisions,
        name="history_revisions",
    ),
    path(
        "sessions/<int:pk>/minutes/history/<int:upto>/",
        views.history_revision,
        name="history_revision",
    ),
    path(
        "sessions/<int:pk>/minutes/history/<int:upto>/restore/",
        views.history_restore,
        name="history_restore",
    ),
    path("sessions/<int:pk>/minutes/versions/<int:number>/", views.version, name="version"),
    path(
        "sessions/<int:pk>/minutes/versions/<int:number>/changes/",
        views.changes,
        name="changes",
    ),
    path(
        "sessions/<int:pk>/minutes/versions/<int:number>/minutes.<slug:fmt>",
        views.export,
        name="export",
    ),
    path("sessions/<int:pk>/minutes/review/", views.review_page, name="review"),
    path(
        "sessions/<int:pk>/minutes/review/<int:comment_id>/answer/",
        views.answer_comment,
        name="answer_comment",
    ),
    path("sessions/<int:pk>/minutes/<slug:action>/", views.workflow_action, name="workflow_action"),
]
