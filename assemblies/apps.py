from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssembliesConfig(AppConfig):
    name = "assemblies"
    verbose_name = _("Assemblies")

    def ready(self) -> None:
        from accounts.personal_data import DataArea
        from accounts.personal_data import register as register_data
        from assemblies import page_cache, retention
        from assemblies.models import AgendaItem, Session
        from assemblies.services.presence import export_attendance

        retention.register("room_log", retention.purge_room_log)
        retention.register("attendance", retention.purge_attendance)
        register_data(DataArea(name="attendance", export=export_attendance))
        page_cache.forget_on_save(Session, lambda session: session.pk)
        page_cache.forget_on_save(AgendaItem, lambda item: item.session_id)
