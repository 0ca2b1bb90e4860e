"""Minimal Django settings for the Channels tutorial baseline: no database, no apps.

The in-memory channel layer gets a capacity large enough that no group message
is dropped during a benchmark run: the tutorial pattern then falls behind instead
of losing frames, which is what the benchmark wants to see.
"""

SECRET_KEY = "bench-tutorial-baseline-not-secret"  # nothing is signed with it
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
ASGI_APPLICATION = "tutorial_asgi.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": 1_000_000, "expiry": 600},
    }
}
LOGGING_CONFIG = None
