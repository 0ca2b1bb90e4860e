from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from livechat import consumers, personal_data
        from livechat.bridge import socket

        consumers.register()
        socket.register()
        personal_data.register_area()
