"""Admin for plan structure. Writes that have rules (ratings, due-date revisions, closing
periods) go through `plans.services`, the same functions the pages use."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from core.dates import short_day
from plans import access, evidence, periods, positions, services
from plans.bounds import BoundedAdmin
from plans.io.resources import PlanImportAdminMixin
from plans.models import (
    RAG,
    Action,
    DueDateRevision,
    Evidence,
    Measure,
    Membership,
    Organisation,
    Outcome,
    Owner,
    Plan,
    RagCriterion,
    Rating,
    Recommendation,
    RemedialAction,
    Reminder,
    ReportingPeriod,
)
from plans.selectors import actions_with_position
from plans.views.periods import ReopenForm

# The paths from a plan-scoped model to its plan, tried in turn.
PLAN_PATHS = (
    "plan",
    "recommendation__plan",
    "action__plan",
    "measure__plan",
    "period__plan",
    "report__plan",
)


def plan_path(model) -> str | None:
    """How `model` reaches its plan ("plan", "measure__plan"), or None if it does not."""
    for path in PLAN_PATHS:
        try:
            fields = get_fields_from_path(model, path)
        except (FieldDoesNotExist, NotRelationField):
            continue
        if fields[-1].related_model is Plan:
            return path
    return None


def visible_choices(model, user):
    """The rows of `model` that `user` may choose in a form: those of the plans they
    see (`plans.access`); None for a model that belongs to no plan."""
    if model is Plan:
        return access.visible_plans(user)
    if model is Owner:
        return access.visible_owners(user)
    path = plan_path(model)
    if path is None:
        return None
    return model._default_manager.filter(**{f"{path}__in": access.visible_plans(user)})


class VisiblePlansAdmin:
    """For every admin and inline of a model that belongs to a plan: a plan administrator
    lists, opens and chooses only the rows of the plans their organisation sees (a
    superuser: all), and the list's filters offer only those."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        visible = visible_choices(self.model, request.user)
        return queryset if visible is None else queryset.filter(pk__in=visible.values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = visible_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = visible_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _require_listed(self, request, object_id) -> None:
        """An object's history is shown to those whose list has it (a deleted object's,
        which no list has, to superusers only)."""
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_listed(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_listed(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_list_filter(self, request):
        """A filter on a related field lists only the values the rows shown have."""
        chosen = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                try:
                    related = get_fields_from_path(self.model, item)[-1].is_relation
                except (FieldDoesNotExist, NotRelationField):
                    related = False
                if related:
                    item = (item, admin.RelatedOnlyFieldListFilter)
            chosen.append(item)
        return chosen


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline names its fields only in the column headings, which leaves each
    input without a name for screen readers: name it after its column and row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for name, field in form.fields.items():
            field.widget.attrs.setdefault("aria-label", f"{field.label or name}, {row}")


class TabularInline(VisiblePlansAdmin, BoundedAdmin, admin.TabularInline):
    formset = LabelledInlineFormSet


class RagCriterionInline(TabularInline):
    model = RagCriterion
    extra = 0
    classes = ["collapse"]  # set once when the plan is imported; shown on request


def _add_link(model: str, label: str, **initial) -> str:
    query = "&".join(f"{key}={value}" for key, value in initial.items())
    return format_html(
        '<a class="addlink" href="{}?{}">{}</a>', reverse(f"admin:plans_{model}_add"), query, label
    )


def _linked_rows(model: str, rows, columns) -> str:
    """A short table of `rows`, each linking to its own edit page: a plan's edit page
    lists its recommendations, and a recommendation's its actions, instead of editing
    them all inline on one very long page."""
    head = format_html_join("", '<th scope="col">{}</th>', ((title,) for title, _ in columns))
    body = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td>{}</tr>',
        (
            (
                reverse(f"admin:plans_{model}_change", args=[row.pk]),
                row.ref,
                format_html_join("", "<td>{}</td>", ((value(row),) for _, value in columns[1:])),
            )
            for row in rows
        ),
    )
    return format_html(
        '<table class="linked-rows"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
    )


class PeriodInline(TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["label", "start", "end", "state", "closed_at"]
    readonly_fields = ["state", "closed_at"]
    show_change_link = True


@admin.register(Plan)
class PlanAdmin(VisiblePlansAdmin, BoundedAdmin, PlanImportAdminMixin, SimpleHistoryAdmin):
    """Import (upload, preview, confirm) on the list; Export on each plan's page."""

    list_display = ["title", "slug", "organisation", "framework", "status"]
    list_filter = ["organisation", "status", "framework"]
    list_select_related = ["organisation"]
    search_fields = ["title", "slug", "organisation__name"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["recommendation_list"]
    # Short sections; each recommendation is edited on its own page (with its outcomes
    # and a list of its actions), not all of them inline here.
    fieldsets = [
        (None, {"fields": ["title", "slug", "organisation", "partners", "status"]}),
        (
            "Inspection",
            {
                "fields": [
                    "framework",
                    ("inspection_start", "inspection_end"),
                    "judgement",
                    "introduction",
                ]
            },
        ),
        (
            "Ratings",
            {
                "fields": [
                    "amber_label",
                    "requires_signoff",
                    ("suggest_amber_after_days", "suggest_red_after_days"),
                ]
            },
        ),
        ("Source", {"fields": ["source", "example_data"], "classes": ["collapse"]}),
        ("Recommendations", {"fields": ["recommendation_list"]}),
    ]
    inlines = [PeriodInline, RagCriterionInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A plan administrator's plans belong to their own organisation; they share
        # them with partners (any organisation) below.
        if db_field.name == "organisation" and not request.user.is_superuser:
            kwargs["queryset"] = Organisation.objects.filter(
                pk=access.organisation_id(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Recommendations")
    def recommendation_list(self, obj: Plan) -> str:
        if obj.pk is None:
            return "Save the plan first, then add its recommendations."
        rows = obj.recommendations.annotate(
            outcome_count=Count("outcomes", distinct=True),
            action_count=Count("actions", distinct=True),
        ).order_by("position", "pk")
        table = _linked_rows(
            "recommendation",
            rows,
            [
                ("Ref", None),
                ("Title", lambda r: Truncator(r.title).chars(120)),
                ("Outcomes", lambda r: r.outcome_count),
                ("Actions", lambda r: r.action_count),
            ],
        )
        return format_html(
            "{}<p>{}</p>", table, _add_link("recommendation", "Add a recommendation", plan=obj.pk)
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Periods added or moved here: the positions follow them.
        positions.refresh(form.instance.pk)


class OutcomeInline(TabularInline):
    model = Outcome
    extra = 0
    fields = ["ref", "position", "text"]


@admin.register(Recommendation)
class RecommendationAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["ref", "title", "plan"]
    list_filter = ["plan"]
    search_fields = ["ref", "title"]
    list_select_related = ["plan"]
    readonly_fields = ["action_list"]
    fieldsets = [
        (None, {"fields": ["plan", ("ref", "position"), "title"]}),
        ("What the inspection asked for", {"fields": ["outcome_required", "impact_for_children"]}),
        ("Actions", {"fields": ["action_list"]}),
    ]
    # Outcomes are short: edited here. Actions each have their own page.
    inlines = [OutcomeInline]

    @admin.display(description="Actions")
    def action_list(self, obj: Recommendation) -> str:
        if obj.pk is None:
            return "Save the recommendation first, then add its actions."
        rows = obj.actions.select_related("outcome").order_by("position", "pk")
        table = _linked_rows(
            "action",
            rows,
            [
                ("Ref", None),
                ("Action", lambda a: Truncator(a.text).chars(120)),
                ("Outcome", lambda a: a.outcome.ref if a.outcome else ""),
                ("Due", lambda a: short_day(a.due_date) if a.due_date else a.timescale_text),
                ("Status", lambda a: a.get_status_display()),
            ],
        )
        add = _add_link("action", "Add an action", plan=obj.plan_id, recommendation=obj.pk)
        return format_html("{}<p>{}</p>", table, add)


class MeasureInline(VisiblePlansAdmin, BoundedAdmin, admin.StackedInline):
    model = Measure
    extra = 0
    fields = [
        ("text", "method"),
        ("target", "tolerance", "unit", "higher_is_better"),
        ("timescale_text", "due_date"),
    ]
    show_change_link = True


class ReadOnlyWhenClosedMixin:
    """Ratings are append-only: the admin shows them, never edits them."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RatingInline(ReadOnlyWhenClosedMixin, TabularInline):
    model = Rating
    fk_name = "action"
    extra = 0
    fields = ["period", "rag", "commentary", "status", "carried_forward", "created", "created_by"]
    readonly_fields = fields
    ordering = ["-created"]

    def has_add_permission(self, request, obj=None):
        return False


class RevisionInline(TabularInline):
    model = DueDateRevision
    extra = 0
    fields = ["old_date", "new_date", "reason", "created_by", "created"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RemedialInline(VisiblePlansAdmin, BoundedAdmin, admin.StackedInline):
    model = RemedialAction
    fk_name = "action"
    extra = 0
    fields = [("outstanding", "text"), ("responsible", "due_date", "completed_on")]


class EvidenceAdminForm(forms.ModelForm):
    """Evidence added or changed in the admin passes the checks the update form's does
    (`plans.evidence`): size, type by content, a safe name, the content type from the
    check, and a web link."""

    link = forms.URLField(
        required=False,
        max_length=Evidence._meta.get_field("link").max_length,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address starting https://."},
    )

    class Meta:
        model = Evidence
        fields = ["action", "rating", "title", "file", "link"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):  # a new file, not the one already stored
            kind = evidence.evidence_check(upload)
            evidence.evidence_file_put(item=self.instance, upload=upload, kind=kind)
        return upload

    def clean_link(self) -> str:
        link = self.cleaned_data.get("link", "").strip()
        if link:
            evidence.evidence_link_check(link)
        return link

    def clean(self):
        cleaned = super().clean()
        given = cleaned.get("file") or cleaned.get("link")
        if not given and not {"file", "link"} & set(self.errors):
            raise ValidationError("Attach a file or give a link.", code="file_or_link")
        return cleaned


class EvidenceInline(TabularInline):
    model = Evidence
    form = EvidenceAdminForm
    extra = 0
    fields = ["title", "file", "link", "content_type", "size", "created_by", "created"]
    readonly_fields = ["content_type", "size", "created_by", "created"]


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("slipped", "Slipped from baseline")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=Action.Status.OPEN, due_date__lt=timezone.localdate())
        if self.value() == "slipped":
            from django.db.models import F

            return queryset.filter(due_date__gt=F("baseline_due_date"))
        return queryset


class CurrentRagFilter(admin.SimpleListFilter):
    title = "latest RAG"
    parameter_name = "rag"

    def lookups(self, request, model_admin):
        return [(value or "none", label) for value, label in RAG.choices]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        rag = "" if self.value() == "none" else self.value()
        annotated = actions_with_position(queryset)
        if rag:
            return annotated.filter(current_rag=rag)
        return annotated.filter(Q(current_rag="") | Q(current_rag__isnull=True))


@admin.register(Action)
class ActionAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["ref", "short_text", "plan", "due_date", "status"]
    list_filter = ["plan", "recommendation", CurrentRagFilter, "owners", OverdueFilter, "status"]
    search_fields = ["ref", "text", "owners__post", "timescale_text"]
    list_select_related = ["plan"]
    filter_horizontal = ["owners", "links"]
    readonly_fields = ["baseline_due_date", "version"]
    fieldsets = [
        (None, {"fields": ["plan", "recommendation", "outcome", "ref", "position", "text"]}),
        ("Why and what difference", {"fields": ["why", "difference"], "classes": ["collapse"]}),
        ("Accountability", {"fields": ["owners", "lead", "links"]}),
        (
            "Timescale",
            {
                "fields": [
                    "timescale_text",
                    "timescale_needs_review",
                    "start_date",
                    "due_date",
                    "baseline_due_date",
                    "milestones",
                ]
            },
        ),
        ("Status", {"fields": ["status", "completed_on", "version"]}),
    ]
    inlines = [MeasureInline, RatingInline, RevisionInline, RemedialInline, EvidenceInline]

    @admin.display(description="action")
    def short_text(self, obj: Action) -> str:
        return obj.text[:90]

    def save_model(self, request, obj, form, change):
        obj._change_reason = "edited in admin"
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Evidence:
            super().save_formset(request, form, formset, change)
            return
        for item in formset.save(commit=False):
            _evidence_save(item, request.user)
        for item in formset.deleted_objects:
            item.delete()


def _evidence_save(item: Evidence, user) -> None:
    """Evidence saved in the admin records who added it, as the update form does."""
    if item.pk is None:
        item.created_by = user
        item._change_reason = "added in admin"
    else:
        item._change_reason = "edited in admin"
    item.save()


@admin.register(Measure)
class MeasureAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "method", "target", "tolerance"]
    list_filter = ["plan", "method"]
    search_fields = ["text", "action__ref"]
    list_select_related = ["plan", "action"]
    readonly_fields = ["version"]
    raw_id_fields = ["action"]


@admin.register(Owner)
class OwnerAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["post", "person_name", "email", "user", "merged_into"]
    search_fields = ["post", "person_name", "email"]
    raw_id_fields = ["user"]
    # Merging moves actions and reminders too: only the Owners page (plans.people) does it.
    readonly_fields = ["merged_into"]


# permissions=["change"]: staff without the change permission (roles other than plan
# administrator) see and run neither action, though they may look at the periods.
@admin.action(
    description="Close the selected periods (freeze their positions)", permissions=["change"]
)
def close_periods(modeladmin, request, queryset):
    closed = 0
    for period in queryset.order_by("end"):
        try:
            closed += services.period_close(period=period, user=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, f"{period}: {error}", messages.ERROR)
    modeladmin.message_user(request, f"{closed} period(s) closed.", messages.SUCCESS)


@admin.action(description="Reopen the selected period (asks for a reason)", permissions=["change"])
def reopen_periods(modeladmin, request, queryset):
    """Reopen one closed period through `plans.periods.period_reopen`, after an
    intermediate page that asks for the reason recorded in history."""
    if queryset.count() != 1:
        modeladmin.message_user(request, "Choose exactly one period to reopen.", messages.ERROR)
        return None
    period = queryset.select_related("plan").get()
    form = ReopenForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            periods.period_reopen(
                period=period, user=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{period}: {text}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{period} is open again.", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/plans/reportingperiod/reopen.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"Reopen {period}",
            "opts": modeladmin.model._meta,
            "period": period,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["label", "plan", "start", "end", "state", "closed_at"]
    list_filter = ["plan", "state"]
    readonly_fields = ["state", "closed_at", "closed_by"]
    actions = [close_periods, reopen_periods]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        positions.refresh(obj.plan_id)  # a new period, or new dates: positions follow


@admin.register(Reminder)
class ReminderAdmin(VisiblePlansAdmin, BoundedAdmin, admin.ModelAdmin):
    """Reminders sent before periods close: a record, written only by the reminder task."""

    list_display = ["owner", "period", "days_before", "items", "claimed_at", "sent_at"]
    list_filter = ["period__plan", "days_before"]
    list_select_related = ["owner", "period"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(VisiblePlansAdmin, BoundedAdmin, ReadOnlyWhenClosedMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "period", "rag", "status", "carried_forward", "created"]
    list_filter = ["plan", "period", "subject", "rag", "status", "carried_forward"]
    search_fields = ["commentary", "action__ref"]
    list_select_related = ["plan", "period", "action", "measure__action", "recommendation"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Every field; "created_by" (from core.models.CreatedBy, so first in _meta) is
        # shown beside "created", where the page has always had it.
        names = [field.name for field in Rating._meta.fields if field.name != "created_by"]
        after = names.index("created") + 1
        return [*names[:after], "created_by", *names[after:]]


@admin.register(DueDateRevision)
class DueDateRevisionAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["action", "old_date", "new_date", "created_by", "created"]
    list_select_related = ["action", "created_by"]
    readonly_fields = ["action", "old_date", "new_date", "reason", "created_by", "created"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RemedialAction)
class RemedialActionAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "responsible", "due_date", "completed_on"]
    list_filter = ["plan"]
    raw_id_fields = ["action", "recommendation"]


@admin.register(Evidence)
class EvidenceAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    form = EvidenceAdminForm
    list_display = ["title", "action", "content_type", "size", "created_by", "created"]
    raw_id_fields = ["action", "rating"]
    readonly_fields = ["content_type", "size", "created_by", "created"]

    def save_model(self, request, obj, form, change):
        _evidence_save(obj, request.user)


@admin.register(Organisation)
class OrganisationAdmin(BoundedAdmin, SimpleHistoryAdmin):
    """Councils and partners. Their people are set on each user's page (Membership)."""

    list_display = ["name", "slug", "plan_count", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                plan_total=Count("plans", distinct=True),
                member_total=Count("memberships", distinct=True),
            )
        )

    @admin.display(description="Plans owned", ordering="plan_total")
    def plan_count(self, obj) -> int:
        return obj.plan_total

    @admin.display(description="People", ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    verbose_name = "organisation"
    verbose_name_plural = "Organisation (the plans this person sees are its own and those "
    verbose_name_plural += "shared with it)"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithOrganisationAdmin(UserAdmin):
    """Django's user admin, with the person's organisation."""

    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = [*UserAdmin.list_display, "organisation"]
    list_filter = [*UserAdmin.list_filter, "membership__organisation"]
    list_select_related = ["membership__organisation"]

    @admin.display(description="Organisation", ordering="membership__organisation__name")
    def organisation(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.organisation.name if membership else ""
