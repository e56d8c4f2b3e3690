"""Values every template needs."""

from django.conf import settings
from django.http import HttpRequest


def product(request: HttpRequest) -> dict:
    return {
        "tasks_in_process": settings.CELERY_TASK_ALWAYS_EAGER,
        "debug": settings.DEBUG,
    }
