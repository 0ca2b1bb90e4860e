"""Websocket routes of every app."""

from assemblies.routing import websocket_urlpatterns as assemblies_ws
from minutes.routing import websocket_urlpatterns as minutes_ws

websocket_urlpatterns = [*assemblies_ws, *minutes_ws]
