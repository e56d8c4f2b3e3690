"""Template helpers for the director's pages."""

from django import template

register = template.Library()


@register.filter
def person(user, nobody: str = "The system") -> str:
    """Who did something: the user's full name, else their username; `nobody` for
    changes made by imports, tasks and commands."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()
