from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "plenary.realtime"
    label = "realtime"
    verbose_name = "Real time"
