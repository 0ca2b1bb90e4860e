from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingConfig(AppConfig):
    name = "streaming"
    verbose_name = _("Streaming")

    def ready(self) -> None:
        from assemblies import page_cache
        from streaming import consumers
        from streaming.models import Stream

        consumers.register()
        # The session page shows the broadcast: its anonymous render is redone.
        page_cache.forget_on_save(Stream, lambda stream: stream.session_id)
