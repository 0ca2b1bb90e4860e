from django.urls import path

from assemblies import views

app_name = "assemblies"

urlpatterns = [
    path("", views.home, name="home"),
    path("bodies/<slug:slug>/", views.body_detail, name="body"),
    path("bodies/<slug:slug>/calendar.ics", views.body_calendar, name="body_calendar"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/calendar.ics", views.event_calendar, name="event_calendar"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/start/", views.session_start, name="session_start"),
    path("sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("sessions/<int:pk>/agenda/next/", views.agenda_advance, name="agenda_advance"),
    path(
        "sessions/<int:pk>/agenda/<int:item_id>/select/",
        views.agenda_select,
        name="agenda_select",
    ),
]
