"""A plan's slug never shadows a fixed route, nor is shadowed by one.

The fixed routes are read from the URLconf, so a route added later is covered too: a
plan's address is a slug route (plans/<slug>/, reports/new/<slug>/, ...), and any other
route that starts the same way and goes on with a word of its own (plans/mine/,
plans/ratings/<pk>/confirm/) takes that word from the plans' slugs."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from plans.io.importing import import_file
from plans.models import Plan

SLUG = "<slug:slug>"


def routes(patterns=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    """Every route of the URLconf as (full route, namespaced name)."""
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            found.append((route, f"{namespace}{pattern.name}" if pattern.name else ""))
    return found


def slug_routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name in routes() if SLUG in route]


def fixed_words() -> list[tuple[str, str]]:
    """(word, route) for each word that a route beside a slug route has where the slug
    would be (one route for each word)."""
    prefixes = {route.split(SLUG)[0] for route, _ in slug_routes()}
    words: dict[str, str] = {}
    for route, _ in routes():
        for prefix in prefixes:
            rest = route.removeprefix(prefix) if route.startswith(prefix) else ""
            word = re.match(r"[-\w.]+", rest)
            if word and not rest.startswith(SLUG):
                words.setdefault(word.group(0), route)
    return sorted(words.items())


def test_the_urlconf_has_the_routes_of_the_finding():
    words = {word for word, _ in fixed_words()}
    assert {"mine", "to-confirm"} <= words
    assert ("plans/<slug:slug>/", "plans:plan") in slug_routes()


def reaches_its_plan(slug: str) -> bool:
    for _route, name in slug_routes():
        match = resolve(reverse(name, kwargs={"slug": slug}))
        if match.view_name != name or match.kwargs.get("slug") != slug:
            return False
    return True


@pytest.mark.parametrize(("word", "route"), fixed_words())
def test_a_plan_cannot_be_given_a_fixed_routes_word_as_its_slug(db, word, route):
    with pytest.raises(ValidationError) as refused:
        Plan(slug=word, title=word.title()).full_clean()
    assert "slug" in refused.value.message_dict
    assert f"“{word}” is the address of another page" in refused.value.message_dict["slug"][0]


CSV = (
    b"Ref,Outcome,Actions,Outcome measure,Timescale,Action RAG,Accountability,"
    b"Outcome Measure RAG\r\n"
    b"What needs to improve? 1 Care leavers,,,,,,,\r\n"
    b"1.1,PAs allocated,Allocate a PA,Audit. Target 90%,May 24,,Service Director QA,\r\n"
)


@pytest.mark.parametrize(("word", "route"), fixed_words())
def test_a_plan_imported_under_a_fixed_routes_word_gets_a_slug_that_reaches_it(db, word, route):
    title = word.replace("-", " ").capitalize()  # "Mine", "To confirm"
    summary = import_file(CSV, "plan.csv", plan_name=title)
    slug = summary.plan.slug
    assert slug != word
    assert slug.startswith(word)
    assert reaches_its_plan(slug)


def test_the_admin_refuses_a_fixed_routes_word_as_a_slug(client, plan_admin):
    client.force_login(plan_admin)
    page = client.get(reverse("admin:plans_plan_add"))
    form = page.context["adminform"].form
    data = {field.html_name: field.value() for field in form if field.value() is not None}
    for inline in page.context["inline_admin_formsets"]:
        data |= {field.html_name: field.value() for field in inline.formset.management_form}
    data |= {"title": "Mine", "slug": "mine"}
    response = client.post(reverse("admin:plans_plan_add"), data)
    assert response.status_code == 200
    assert (
        "“mine” is the address of another page"
        in response.context["adminform"].form.errors["slug"][0]
    )
    assert not Plan.objects.exists()
