"""The improvement plan, its structure, and the dated status reported against it.

A plan holds recommendations (areas for improvement), each with outcomes and actions;
actions have outcome measures. Ratings are dated RAG positions: append-only, and frozen
once their reporting period closes. Every model that people edit keeps history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from core.models import CreatedBy, TimeStamped, Versioned
from plans import rules
from plans.rules import RAG, RAG_ORDER
from plans.text import owner_key

# Printed wherever an example plan's ratings appear: page banners, the report's cover
# and running footer, and exports.
EXAMPLE_DATA_NOTE = "Example data: ratings are illustrative, not the council's"


# The words that fixed routes beside a plan's own have where its slug would be
# (plans/mine/, plans/ratings/<pk>/confirm/ in plans/urls.py): a plan with one of them
# as its slug could not be reached, or would hide the route. tests/plans/test_slugs.py
# reads the routes from the URLconf, and fails for a new route until its word is here.
RESERVED_SLUGS = frozenset(
    {
        "actions",
        "evidence",
        "mine",
        "people",
        "periods",
        "ratings",
        "recommendations",
        "to-confirm",
    }
)


class Organisation(TimeStamped):
    """A council, or a partner such as a health board, whose people read plans.

    A plan belongs to one organisation and may be shared with partner organisations;
    a person belongs to one organisation (`Membership`) and sees the plans of their
    organisation and those shared with it (`plans.access.visible_plans`).
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def named(cls, name: str) -> Organisation:
        """The organisation called `name`, made if there is none (examples, imports)."""
        organisation = cls.objects.filter(name=name).first()
        if organisation is None:
            base = slugify(name)[:70] or "organisation"
            slug, n = base, 2
            while cls.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            organisation = cls.objects.create(name=name, slug=slug)
        return organisation


class Membership(TimeStamped):
    """The organisation a person works for. Without one a person sees no plans."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "user"]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation}"


class Plan(TimeStamped):
    """An improvement plan written after an inspection."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="The organisation that owns the plan; its people see it.",
    )
    partners = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="shared_plans",
        help_text="Partner organisations the plan is shared with; their people see it too.",
    )
    framework = models.CharField(
        max_length=100, blank=True, help_text="Inspection framework, e.g. ILACS."
    )
    inspection_start = models.DateField(null=True, blank=True)
    inspection_end = models.DateField(null=True, blank=True)
    judgement = models.CharField(max_length=100, blank=True)
    introduction = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    amber_label = models.CharField(
        max_length=20,
        default="Amber",
        help_text='How this plan names Amber. The 2015 plan says "Yellow".',
    )
    requires_signoff = models.BooleanField(
        default=True,
        help_text="A director's rating is proposed until a QA lead or administrator confirms it.",
    )
    suggest_amber_after_days = models.PositiveIntegerField(
        default=0, help_text="An open action this many days past due is suggested Amber."
    )
    suggest_red_after_days = models.PositiveIntegerField(
        default=31, help_text="An open action more than this many days past due is suggested Red."
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the plan came from.")
    example_data = models.BooleanField(
        default=False,
        help_text="The plan's ratings are illustrative, not the council's: every page, PDF "
        "and export that shows them says so.",
    )
    history = HistoricalRecords(m2m_fields=[partners])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inspection_end__isnull=True)
                | Q(inspection_start__isnull=True)
                | Q(inspection_end__gte=models.F("inspection_start")),
                name="%(app_label)s_%(class)s_inspection_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:plan", args=[self.slug])

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {
                    "slug": f"“{self.slug}” is the address of another page: choose another "
                    f"slug, for example “{self.slug}-plan”."
                }
            )

    def rag_label(self, rag: str) -> str:
        """The word this plan uses for a RAG value."""
        if rag == RAG.AMBER:
            return self.amber_label
        return RAG(rag).label


class RagCriterion(models.Model):
    """What a RAG value means for this plan, as printed at the end of the plan."""

    class Kind(models.TextChoices):
        ACTION = "action", "Action RAG"
        OUTCOME = "outcome", "Outcome RAG"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rag_criteria")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rag = models.CharField(max_length=5, choices=RAG.choices)
    criteria = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "kind", "pk"]
        verbose_name_plural = "RAG criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "rag"], name="%(app_label)s_%(class)s_unique_rag"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_rag_display()}"


class Owner(TimeStamped):
    """A post accountable for actions ("Service Director – Practice") and who holds it."""

    post = models.CharField(max_length=200)
    key = models.CharField(
        max_length=200,
        unique=True,
        editable=False,
        help_text="The post, case- and punctuation-insensitive, for matching imported text.",
    )
    person_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owner_posts",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_owners",
        help_text="A duplicate merged into this owner: its actions and reminders moved "
        "there. Kept so that imports naming the duplicate find the kept owner.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["post"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")),
                name="%(app_label)s_%(class)s_not_merged_into_itself",
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} ({self.person_name})" if self.person_name else self.post

    def save(self, *args, **kwargs) -> None:
        self.key = owner_key(self.post)
        super().save(*args, **kwargs)


class Recommendation(TimeStamped):
    """An area for improvement, inspection recommendation or improvement-notice item."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="recommendations")
    ref = models.CharField(max_length=20, help_text='As the plan numbers it: "1", "IN10".')
    position = models.PositiveIntegerField(default=0)
    title = models.TextField()
    outcome_required = models.TextField(blank=True)
    impact_for_children = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "ref"], name="%(app_label)s_%(class)s_unique_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("plans:recommendation", args=[self.pk])


class Outcome(TimeStamped):
    """The change wanted under a recommendation (ref "1.1")."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="outcomes"
    )
    ref = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["recommendation", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "ref"], name="%(app_label)s_%(class)s_unique_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.text[:80]}"


class Action(TimeStamped, Versioned):
    """What will be done (ref "1.1a"), by whom and by when.

    The timescale is kept as written and parsed into dates. `baseline_due_date` is the
    first due date the plan committed to and never changes; every later change of
    `due_date` is a `DueDateRevision`.
    """

    Status = rules.ActionStatus

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="actions")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="actions"
    )
    outcome = models.ForeignKey(
        Outcome, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    ref = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(
        "action", blank=True, help_text="Blank where a sub-ref only adds a measure."
    )
    why = models.TextField(blank=True)
    difference = models.TextField("what difference it makes", blank=True)
    lead = models.CharField(
        max_length=300, blank=True, help_text="Named lead(s) as written in the plan."
    )
    owners = models.ManyToManyField(Owner, related_name="actions", blank=True)
    accountability = models.TextField(
        "accountability as written",
        blank=True,
        help_text="The Accountability cell as the imported plan writes it "
        '("Service Director Practice"); the owners are matched from it leniently.',
    )
    links = models.ManyToManyField(
        Recommendation,
        related_name="linked_actions",
        blank=True,
        help_text="Other recommendations this action also serves.",
    )
    timescale_text = models.CharField("timescale", max_length=300, blank=True)
    timescale_needs_review = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    baseline_due_date = models.DateField(null=True, blank=True, editable=False)
    milestones = models.JSONField(
        default=list, blank=True, help_text="Due dates parsed from the timescale, ISO format."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[owners, links])

    class Meta:
        ordering = ["plan", "recommendation__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "ref"], name="%(app_label)s_%(class)s_unique_ref"
            ),
            models.CheckConstraint(
                condition=Q(status="complete", completed_on__isnull=False) | ~Q(status="complete"),
                name="%(app_label)s_%(class)s_complete_has_date",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("start_date")),
                name="%(app_label)s_%(class)s_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["plan", "status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.ref} {self.text[:80]}"

    def save(self, *args, **kwargs) -> None:
        # The baseline is set once, from the first due date, and never moves: slippage is
        # measured against it.
        loaded = getattr(self, "_loaded_baseline", None)
        if loaded is not None and self.baseline_due_date != loaded:
            raise ValidationError("The baseline due date of an action never changes.")
        if self.baseline_due_date is None and self.due_date is not None:
            self.baseline_due_date = self.due_date
        super().save(*args, **kwargs)
        self._loaded_baseline = self.baseline_due_date

    def get_absolute_url(self) -> str:
        return reverse("plans:action", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_baseline = instance.__dict__.get("baseline_due_date")
        return instance

    def clean(self) -> None:
        if self.outcome_id and self.outcome.recommendation_id != self.recommendation_id:
            raise ValidationError({"outcome": "The outcome belongs to another recommendation."})
        if self.recommendation_id and self.recommendation.plan_id != self.plan_id:
            raise ValidationError({"recommendation": "The recommendation is in another plan."})

    @property
    def is_slipped(self) -> bool:
        """The rule is `plans.rules.is_slipped`."""
        return rules.is_slipped(self)

    @property
    def accountability_as_written(self) -> str:
        """The Accountability cell as the plan wrote it, where it reads otherwise than the
        owners' posts ("Service Director Practice" for "Service Director - Practice");
        blank where they read the same."""
        written = " ".join(self.accountability.split())
        if not written:
            return ""
        posts = [o.post for o in self.owners.all()]
        return "" if written in {"", "; ".join(posts), " ".join(posts)} else written

    @property
    def milestone_dates(self) -> list[dt.date]:
        """The timescale's dates as dates, for display (stored as ISO text in JSON)."""
        days = []
        for text in self.milestones or []:
            try:
                days.append(dt.date.fromisoformat(text))
            except (TypeError, ValueError):
                continue
        return days


class Measure(TimeStamped, Versioned):
    """An outcome measure: how success is shown, with its target and tolerance."""

    class Method(models.TextChoices):
        DIP_SAMPLE = "dip_sample", "Dip sample"
        AUDIT = "audit", "Audit"
        PERFORMANCE = "performance", "Performance data"
        MILESTONE = "milestone", "Milestone / deliverable"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="measures")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="measures")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField("outcome measure")
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.MILESTONE)
    target = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    tolerance = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="How far from target still counts as Amber rather than Red.",
    )
    unit = models.CharField(max_length=20, default="%", blank=True)
    higher_is_better = models.BooleanField(default=True)
    timescale_text = models.CharField("timescale", max_length=300, blank=True)
    due_date = models.DateField(null=True, blank=True)
    national_average = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    statistical_neighbours = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0),
                name="%(app_label)s_%(class)s_tolerance_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(unit="%") | Q(target__isnull=True) | Q(target__gte=0, target__lte=100),
                name="%(app_label)s_%(class)s_percent_target_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action.ref}: {self.text[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("audits:measure", args=[self.pk])


class ReportingPeriod(TimeStamped):
    """A dated position: "Q2 2024/25" or "as of 1 March 2016".

    Ratings belong to a period. Closing it freezes every rating as of `end`.
    """

    class State(models.TextChoices):
        UPCOMING = "upcoming", "Upcoming"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="periods")
    label = models.CharField(max_length=80)
    start = models.DateField()
    end = models.DateField(help_text="The position is as of this date.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.UPCOMING)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the period closed with: {"actions": {rag: n}, "measures": {rag: n}}, the
    # count of each RAG value ("" for not rated) among the positions closing froze.
    # Written by closing, in its transaction, and cleared by reopening; a closed
    # period's ratings never change, so the counts cannot go stale.
    closing_counts = models.JSONField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "end"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "label"], name="%(app_label)s_%(class)s_unique_label"
            ),
            models.UniqueConstraint(
                fields=["plan", "end"], name="%(app_label)s_%(class)s_unique_end"
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(state="open"),
                name="%(app_label)s_%(class)s_one_open_per_plan",
            ),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="%(app_label)s_%(class)s_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED


# A rating, or a position, is of one item: an action, a measure, or a recommendation's
# facet.
ONE_SUBJECT = (
    Q(subject="action", action__isnull=False, measure__isnull=True, recommendation__isnull=True)
    | Q(subject="measure", action__isnull=True, measure__isnull=False, recommendation__isnull=True)
    | Q(
        subject__in=["outcome", "impact", "progress"],
        action__isnull=True,
        measure__isnull=True,
        recommendation__isnull=False,
    )
)


class RatingQuerySet(models.QuerySet):
    def confirmed(self) -> RatingQuerySet:
        return self.filter(status=Rating.Status.CONFIRMED)


class Rating(CreatedBy):
    """A dated RAG for an action, a measure, or a facet of a recommendation.

    Append-only: a change of view is a new rating; the latest rating of an item in a
    period is its position for that period. Ratings in a closed period cannot be changed
    or deleted (checked here, in the services, and by a PostgreSQL trigger).
    """

    class Subject(models.TextChoices):
        ACTION = "action", "Action"
        MEASURE = "measure", "Outcome measure"
        OUTCOME = "outcome", "Outcome required"
        IMPACT = "impact", "Impact for children"
        PROGRESS = "progress", "Actions completed"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONFIRMED = "confirmed", "Confirmed"
        RETURNED = "returned", "Sent back"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="ratings")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="ratings")
    subject = models.CharField(max_length=10, choices=Subject.choices)
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings"
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings"
    )
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings"
    )
    rag = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    commentary = models.TextField(blank=True)
    suggested_rag = models.CharField(
        max_length=5,
        choices=RAG.choices,
        blank=True,
        help_text="What the evidence suggests (derived measure RAG, or slipped dates).",
    )
    override_reason = models.TextField(
        blank=True, help_text="Why the rating is better than the evidence suggests."
    )
    carried_forward = models.BooleanField(
        default=False, help_text="Not updated this period: the previous position carried forward."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    created = models.DateTimeField(db_index=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=ONE_SUBJECT,
                name="%(app_label)s_%(class)s_one_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "subject", "status"]),
            # With the id last, "an item's latest rating in a period" (newest created,
            # then highest id) is read straight off the index, without a sort.
            models.Index(
                fields=["action", "period", "created", "id"], name="plans_rating_action_latest"
            ),
            models.Index(
                fields=["measure", "period", "created", "id"], name="plans_rating_measure_latest"
            ),
            models.Index(
                fields=["recommendation", "period", "created", "id"],
                name="plans_rating_rec_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.item_ref}: {self.get_rag_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = Rating.objects.filter(pk=self.pk).values("rag", "commentary", "period_id")
            stored = stored.first()
            if stored and self._period_closed():
                raise ValidationError("This rating's period is closed: it cannot be changed.")
            if stored and (
                stored["rag"] != self.rag
                or stored["commentary"] != self.commentary
                or stored["period_id"] != self.period_id
            ):
                raise ValidationError("Ratings are never overwritten: record a new rating.")
        elif self._period_closed():
            raise ValidationError("This period is closed: no new ratings can be recorded in it.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._period_closed():
            raise ValidationError("This rating's period is closed: it cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def item(self) -> Action | Measure | Recommendation:
        return self.action or self.measure or self.recommendation

    @property
    def item_ref(self) -> str:
        if self.action_id:
            return self.action.ref
        if self.measure_id:
            return f"{self.measure.action.ref} measure"
        return self.recommendation.ref

    def _period_closed(self) -> bool:
        return ReportingPeriod.objects.filter(
            pk=self.period_id, state=ReportingPeriod.State.CLOSED
        ).exists()


class Position(models.Model):
    """An item's position as of a period, kept as a row: which rating it is, and what
    that rating says. One row per item (an action, an outcome measure or a facet of a
    recommendation) and period of its plan, for every period up to which the item has
    a rating that counts.

    Derived from the ratings by `plans.positions`, the one module that knows the rule,
    and written by it in the same transaction as every change that moves a position.
    Rows of a closed period are frozen with its ratings. `rebuild_positions --check`
    compares the table with the ratings.

    Two positions per row: `rating` is the latest rating that has not been sent back
    (proposed or confirmed: what the owner sees), `confirmed_rating` the latest
    confirmed one (what the board, the dashboard and reports count).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="positions")
    subject = models.CharField(max_length=10, choices=Rating.Subject.choices)
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="positions"
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, null=True, blank=True, related_name="positions"
    )
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, null=True, blank=True, related_name="positions"
    )
    # The position: the latest rating not sent back, up to the period's end.
    rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rag = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    status = models.CharField(max_length=10, choices=Rating.Status.choices, blank=True)
    carried_forward = models.BooleanField(default=False)
    suggested_rag = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    override_reason = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # The position's rating is in an earlier period than this row's.
    rating_period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A rating of its own in this period, not sent back and not carried forward.
    rated_in_period = models.BooleanField(default=False)
    # The confirmed position: the latest confirmed rating up to the period's end.
    confirmed_rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    confirmed_rag = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    confirmed_carried_forward = models.BooleanField(default=False)
    confirmed_period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["period", "subject", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=ONE_SUBJECT,
                name="%(app_label)s_%(class)s_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=False) | Q(confirmed_rating__isnull=False),
                name="%(app_label)s_%(class)s_has_a_rating",
            ),
            models.UniqueConstraint(
                fields=["period", "action"],
                condition=Q(action__isnull=False),
                name="%(app_label)s_%(class)s_one_per_action",
            ),
            models.UniqueConstraint(
                fields=["period", "measure"],
                condition=Q(measure__isnull=False),
                name="%(app_label)s_%(class)s_one_per_measure",
            ),
            models.UniqueConstraint(
                fields=["period", "recommendation", "subject"],
                condition=Q(recommendation__isnull=False),
                name="%(app_label)s_%(class)s_one_per_facet",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "period", "subject"], name="plans_position_plan_period"),
            models.Index(fields=["action", "period"], name="plans_position_action"),
            models.Index(fields=["measure", "period"], name="plans_position_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} position in period {self.period_id}: {self.rag}"


class DueDateRevision(CreatedBy):
    """A change to an action's due date, with its reason (slippage)."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="revisions")
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField()
    reason = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "created", "pk"]

    def __str__(self) -> str:
        return f"{self.action.ref}: {self.old_date} → {self.new_date}"


class RemedialAction(TimeStamped):
    """What will be done about a red or slipped item, by whom, by when."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="remedial_actions")
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="remedial_actions"
    )
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remedial_actions",
    )
    outstanding = models.TextField("outstanding action", blank=True)
    text = models.TextField("remedial action")
    responsible = models.CharField(max_length=300, blank=True)
    due_text = models.CharField(max_length=200, blank=True)
    due_date = models.DateField(null=True, blank=True)
    completed_text = models.CharField(max_length=200, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__isnull=False) | Q(recommendation__isnull=False),
                name="%(app_label)s_%(class)s_has_subject",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/plan-{instance.action.plan_id}/action-{instance.action_id}/{filename}"


class Evidence(CreatedBy):
    """A file or link that supports a rating. Files are private: served through a view."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="evidence")
    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    link = models.URLField(blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "-created"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(link=""),
                name="%(app_label)s_%(class)s_file_or_link",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.rating_id and self.action_id and self.rating.action_id != self.action_id:
            of = (
                f"a rating of action {self.rating.action.ref}"
                if self.rating.action_id
                else "not a rating of an action"
            )
            raise ValidationError(
                {"rating": f"That is {of}: choose one of this action's ratings, or none."}
            )


class Reminder(models.Model):
    """A reminder emailed to an owner before a period closes: at most one per owner,
    period and reminder day ("10 days before"), so a task that runs twice sends once.

    The row is the claim: inserted before the email is sent, released if sending fails.
    """

    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="reminders")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    items = models.PositiveIntegerField(default=0, help_text="How many items it listed.")
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period", "owner", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "period", "days_before"],
                name="%(app_label)s_%(class)s_once_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.period} · {self.days_before} days before"


class AccountChange(CreatedBy):
    """A change a plan administrator made to a person's account: an invitation, a role
    given or removed, a post linked or unlinked. Append-only, with who and why: the
    user model keeps no history of its own, and roles are Django groups."""

    class Kind(models.TextChoices):
        INVITED = "invited", "Invited"
        ROLE_GIVEN = "role_given", "Role given"
        ROLE_REMOVED = "role_removed", "Role removed"
        OWNER_LINKED = "owner_linked", "Post linked"
        OWNER_UNLINKED = "owner_unlinked", "Post unlinked"
        TWO_STEP_RESET = "two_step_reset", "Two-step verification reset"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_changes"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300, help_text="The role or post concerned.")
    reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"


__all__ = [
    "RAG",
    "AccountChange",
    "RAG_ORDER",
    "RESERVED_SLUGS",
    "Action",
    "DueDateRevision",
    "Evidence",
    "Measure",
    "MaxValueValidator",
    "Membership",
    "Organisation",
    "Outcome",
    "Owner",
    "Plan",
    "Position",
    "RagCriterion",
    "Rating",
    "Recommendation",
    "Reminder",
    "RemedialAction",
    "ReportingPeriod",
]
