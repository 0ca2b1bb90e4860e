from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssembliesConfig(AppConfig):
    name = "assemblies"
    verbose_name = _("Assemblies")

    def ready(self) -> None:
        from accounts.personal_data import DataArea
        from accounts.personal_data import register as register_data
        from assemblies import retention
        from assemblies.services.presence import export_attendance

        retention.register("room_log", retention.purge_room_log)
        retention.register("attendance", retention.purge_attendance)
        register_data(DataArea(name="attendance", export=export_attendance))
