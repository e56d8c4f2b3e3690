"""People and owners: the plan administrator's pages for users, roles and posts.

Only plan administrators reach them (everyone else gets 403); every write goes through
`plans.people`. The invitation's set-password page is here too: whoever holds the link
reaches it, signed in or not.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans import access, bounds, people, roles
from plans.forms import REASON_MAX_LENGTH, InviteForm, MergeForm, OwnerLinkForm, RolesForm
from plans.models import Owner

SEARCH_MAX_LENGTH = 100


def _require_plan_admin(request: HttpRequest) -> None:
    if not roles.is_plan_admin(request.user):
        raise PermissionDenied


def _query(request: HttpRequest) -> str:
    return bounds.search_text(request.GET.get("q", "")[:SEARCH_MAX_LENGTH]).strip()


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- People ------------------------------------------------------------------------------


@login_required
@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone who can sign in, with their roles and the posts linked to them."""
    _require_plan_admin(request)
    query = _query(request)
    return render(
        request,
        "plans/people/people_list.html",
        {
            "people": people.people_search(query).filter(
                pk__in=access.visible_people(request.user).values("pk")
            ),
            "query": query,
            "nav": "people",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest) -> HttpResponse:
    _require_plan_admin(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = people.user_invite(
                name=data["name"], email=data["email"], role_names=data["roles"], by=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"{people.display_name(user)} is invited. The e-mail to {user.email} has a "
                "link to choose a password.",
            )
            return redirect("plans:person", user.pk)
    return render(
        request,
        "plans/people/invite.html",
        {"form": form, "nav": "people"},
        status=400 if form.errors else 200,
    )


def _person_page(request: HttpRequest, person, form: RolesForm, *, status: int = 200):
    return render(
        request,
        "plans/people/person.html",
        {
            "person": person,
            "form": form,
            "posts": person.owner_posts.order_by("post"),
            "changes": person.account_changes.select_related("created_by")[:50],
            "is_self": person.pk == request.user.pk,
            "organisation": people.organisation_of(person),
            "has_two_step": people.has_two_step(person),
            "nav": "people",
        },
        status=status,
    )


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_plan_admin(request)
    person = get_object_or_404(access.visible_people(request.user), pk=pk)
    held = [g for g in person.groups.values_list("name", flat=True) if g in roles.ALL_ROLES]
    return _person_page(request, person, RolesForm(initial={"roles": held}))


@login_required
@require_POST
def person_roles(request: HttpRequest, pk: int) -> HttpResponse:
    _require_plan_admin(request)
    person = get_object_or_404(access.visible_people(request.user), pk=pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            given, removed = people.roles_set(
                person=person,
                role_names=form.cleaned_data["roles"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            name = people.display_name(person)
            if not given and not removed:
                messages.info(request, f"{name}'s roles are unchanged.")
            else:
                parts = [f"given {', '.join(given)}"] if given else []
                parts += [f"no longer {', '.join(removed)}"] if removed else []
                messages.success(request, f"{name}: {'; '.join(parts)}.")
            return redirect("plans:person", person.pk)
    elif "shown" in form.errors:
        form.errors.pop("shown")
        form.add_error(None, "The roles form was not sent: choose the roles and save again.")
    return _person_page(request, person, form, status=400)


@login_required
@require_POST
def person_invite_again(request: HttpRequest, pk: int) -> HttpResponse:
    _require_plan_admin(request)
    person = get_object_or_404(access.visible_people(request.user), pk=pk)
    try:
        people.invitation_resend(person=person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation has been sent again to {person.email}.")
    return redirect("plans:person", person.pk)


@login_required
@require_POST
def person_two_step_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the person's authenticator app and recovery codes (they lost both)."""
    _require_plan_admin(request)
    person = get_object_or_404(access.visible_people(request.user), pk=pk)
    reason = request.POST.get("reason", "")[:REASON_MAX_LENGTH]
    try:
        people.two_step_reset(person=person, by=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Two-step verification is reset for {people.display_name(person)}: they set it "
            "up again at their next sign-in.",
        )
    return redirect("plans:person", person.pk)


# --- Owners ------------------------------------------------------------------------------


@login_required
@require_GET
def owner_list(request: HttpRequest) -> HttpResponse:
    """The posts actions are assigned to, who holds each, and how to tidy them."""
    _require_plan_admin(request)
    query = _query(request)
    owners = people.owners_search(query).filter(pk__in=_owners(request))
    return render(
        request,
        "plans/people/owner_list.html",
        {"owners": owners, "query": query, "nav": "people"},
    )


def _owners(request: HttpRequest):
    return access.visible_owners(request.user).values("pk")


def _live_owner(request: HttpRequest, pk: int) -> Owner:
    return get_object_or_404(
        Owner.objects.select_related("user", "merged_into").filter(pk__in=_owners(request)),
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def owner_link(request: HttpRequest, pk: int) -> HttpResponse:
    _require_plan_admin(request)
    owner = _live_owner(request, pk)
    form = OwnerLinkForm(
        request.POST or None,
        initial={"person": owner.user_id},
        persons=access.visible_people(request.user),
    )
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        try:
            previous = people.owner_link(
                owner=owner, person=person, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            moved = f" (it was linked to {people.display_name(previous)})" if previous else ""
            messages.success(
                request, f"{owner.post} is linked to {people.display_name(person)}{moved}."
            )
            return redirect(reverse("plans:owner_list") + f"#owner-{owner.pk}")
    return render(
        request,
        "plans/people/owner_link.html",
        {"owner": owner, "form": form, "nav": "people"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def owner_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    _require_plan_admin(request)
    owner = _live_owner(request, pk)
    reason = request.POST.get("reason", "")[:REASON_MAX_LENGTH]
    previous = people.owner_unlink(owner=owner, by=request.user, reason=reason)
    if previous is None:
        messages.info(request, f"{owner.post} was not linked to anyone: nothing changed.")
    else:
        messages.success(
            request, f"{owner.post} is no longer linked to {people.display_name(previous)}."
        )
    return redirect(reverse("plans:owner_list") + f"#owner-{owner.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def owner_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the owner to keep, see what will move, then merge: three steps, and
    nothing is written before the last."""
    _require_plan_admin(request)
    duplicate = _live_owner(request, pk)
    if duplicate.merged_into_id:
        messages.info(
            request, f"{duplicate.post} has already been merged into {duplicate.merged_into.post}."
        )
        return redirect("plans:owner_list")
    form = MergeForm(request.POST or None, duplicate=duplicate, owners=_owners(request))
    context = {"duplicate": duplicate, "form": form, "nav": "people"}
    if request.method == "POST" and form.is_valid():
        kept = form.cleaned_data["kept"]
        try:
            if request.POST.get("confirm") == "yes":
                plan = people.owners_merge(duplicate=duplicate, kept=kept, by=request.user)
                moved = len(plan.actions) + len(plan.already_kept)
                messages.success(
                    request,
                    f"Merged {duplicate.post} into {kept.post}: {moved} "
                    f"action{'s' if moved != 1 else ''} moved. The history of both is kept.",
                )
                return redirect(reverse("plans:owner_list") + f"#owner-{kept.pk}")
            plan = people.merge_plan(duplicate=duplicate, kept=kept)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return render(
                request, "plans/people/owner_merge_confirm.html", {**context, "plan": plan}
            )
    return render(
        request,
        "plans/people/owner_merge.html",
        {
            **context,
            "owners": people.owners_search()
            .filter(pk__in=_owners(request))
            .exclude(pk=duplicate.pk),
        },
        status=400 if form.errors else 200,
    )


# --- The invitation link -----------------------------------------------------------------


class ChoosePasswordView(auth_views.PasswordResetConfirmView):
    """Where the invitation's link lands: the person chooses their password, and can
    sign in with it. Django's reset-confirm view, with the invitation's own tokens."""

    token_generator = people.invitation_tokens
    template_name = "plans/people/choose_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            f"Your password is set. Sign in with your username, {form.user.get_username()}.",
        )
        return response
