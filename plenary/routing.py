"""Websocket routes of every app."""

from assemblies.routing import websocket_urlpatterns as assemblies_ws

websocket_urlpatterns = [*assemblies_ws]
