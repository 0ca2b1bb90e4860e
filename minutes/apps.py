from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "minutes"
    verbose_name = _("minutes")

    def ready(self) -> None:
        from assemblies import page_cache
        from minutes import personal_data
        from minutes.models import Minutes
        from minutes.services import agenda

        personal_data.register_area()
        agenda.connect()
        # The session page shows the minutes' status and the published link.
        page_cache.forget_on_save(Minutes, lambda minutes: minutes.session_id)
