from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssembliesConfig(AppConfig):
    name = "assemblies"
    verbose_name = _("Assemblies")

    def ready(self) -> None:
        from assemblies import retention

        retention.register("room_log", retention.purge_room_log)
