from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "minutes"
    verbose_name = _("minutes")

    def ready(self) -> None:
        from minutes import personal_data
        from minutes.services import agenda

        personal_data.register_area()
        agenda.connect()
