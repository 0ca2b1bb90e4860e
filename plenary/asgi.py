"""The ASGI application: Django for HTTP, Channels for websockets.

Serve it with any ASGI server, e.g. ``uvicorn plenary.asgi:application`` or
``daphne plenary.asgi:application``. Websocket routes accept only the hosts in
``ALLOWED_HOSTS`` as Origin and authenticate with the Django session cookie.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from plenary.realtime.consumers import KeepServerSend  # noqa: E402
from plenary.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": KeepServerSend(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
