"""Bridge secrets at rest: encrypted with a key derived from ``SECRET_KEY``.

>>> token = seal("s3cret-token")
>>> token != "s3cret-token" and unseal(token) == "s3cret-token"
True
>>> masked("s3cret-token")
'••••oken'

Changing ``SECRET_KEY`` makes stored secrets unreadable (``unseal`` returns ""):
the organiser types them again. A secret may also come from the environment
(``PLENARY_MASTODON_TOKEN``, ``PLENARY_BLUESKY_APP_PASSWORD``) and never be stored.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

ENV_MASTODON_TOKEN = "PLENARY_MASTODON_TOKEN"
ENV_BLUESKY_APP_PASSWORD = "PLENARY_BLUESKY_APP_PASSWORD"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"plenary.bridge.secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""


def masked(secret: str) -> str:
    """What a page may show of a secret: its last four characters."""
    return f"••••{secret[-4:]}" if len(secret) > 8 else ("••••" if secret else "")


def from_env(name: str) -> str:
    return os.environ.get(name, "")
