"""The filters every list takes (?plan=<slug>, ?period=<id>, ?item=<id>,
?changed_since=<date or time>), built for each resource from what it names."""

from __future__ import annotations

from functools import reduce
from operator import or_

import django_filters
from django.db.models import Q

from api.resources import Resource
from plans.models import Rating


def _changed_since(columns: tuple[str, ...]):
    def method(queryset, name, value):
        return queryset.filter(reduce(or_, (Q(**{f"{column}__gte": value}) for column in columns)))

    return method


def filterset_for(resource: Resource) -> type[django_filters.FilterSet]:
    plan_slug = "slug" if resource.plan == "pk" else f"{resource.plan}__slug"
    attrs: dict = {
        "plan": django_filters.CharFilter(field_name=plan_slug, help_text="The plan's slug."),
    }
    if resource.period:
        attrs["period"] = django_filters.NumberFilter(
            field_name=resource.period, help_text="A reporting period's id."
        )
    if resource.item:
        attrs["item"] = django_filters.NumberFilter(
            field_name=resource.item, help_text="The item's id."
        )
    if resource.name == "positions":
        attrs["subject"] = django_filters.ChoiceFilter(choices=Rating.Subject.choices)
        for item in ("action", "measure", "recommendation"):
            attrs[item] = django_filters.NumberFilter(
                field_name=item, help_text=f"The {item}'s id."
            )
    if resource.changed:
        attrs["changed_since"] = django_filters.IsoDateTimeFilter(
            method=_changed_since(resource.changed),
            help_text="Rows changed at or after this date or time (ISO 8601).",
        )
    name = "".join(part.title() for part in resource.name.split("-")) + "Filter"
    return type(name, (django_filters.FilterSet,), attrs)
