from django.urls import path

from minutes.consumers import MinutesConsumer

websocket_urlpatterns = [
    path("ws/minutes/<int:session_id>/", MinutesConsumer.as_asgi()),
]
