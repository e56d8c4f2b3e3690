"""factory_boy factories for every model the tests build."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from audits.models import AuditSchedule, DipSample, MeasureValue
from plans.models import (
    Action,
    Measure,
    Membership,
    Organisation,
    Outcome,
    Owner,
    Plan,
    Rating,
    Recommendation,
    ReportingPeriod,
)
from reporting.models import CommitteeReport


class OrganisationFactory(factory.django.DjangoModelFactory):
    """Every plan and user is of "Example Council" unless a test says otherwise."""

    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = "Example Council"
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def organisation(self, create, extracted, **kwargs):
        """The user's organisation: Example Council by default; `organisation=False`
        for a person with no organisation."""
        if not create or extracted is False:
            return
        if extracted is None:
            extracted = OrganisationFactory()
        Membership.objects.update_or_create(user=self, defaults={"organisation": extracted})

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    title = factory.Sequence(lambda n: f"Improvement plan {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    framework = "ILACS"
    requires_signoff = False


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    plan = factory.SubFactory(PlanFactory)
    ref = factory.Sequence(lambda n: str(n + 1))
    position = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Area for improvement {n}")


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    recommendation = factory.SubFactory(RecommendationFactory)
    ref = factory.Sequence(lambda n: f"{n}.1")
    text = "Children are seen promptly."


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner
        django_get_or_create = ["post"]

    post = factory.Sequence(lambda n: f"Service Director {n}")


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    recommendation = factory.SubFactory(RecommendationFactory)
    plan = factory.LazyAttribute(lambda a: a.recommendation.plan)
    ref = factory.Sequence(lambda n: f"A{n}")
    position = factory.Sequence(int)
    text = factory.Sequence(lambda n: f"Deliver improvement {n}")
    timescale_text = "Mar 25"
    due_date = dt.date(2025, 3, 31)

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if create and extracted:
            self.owners.set(extracted)


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    action = factory.SubFactory(ActionFactory)
    plan = factory.LazyAttribute(lambda m: m.action.plan)
    text = "3 x monthly dip sample then review. Target 90%."
    method = Measure.Method.DIP_SAMPLE
    target = 90
    tolerance = 10


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingPeriod

    plan = factory.SubFactory(PlanFactory)
    label = factory.Sequence(lambda n: f"Period {n}")
    start = dt.date(2024, 7, 1)
    end = dt.date(2024, 9, 30)
    state = ReportingPeriod.State.OPEN


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    action = factory.SubFactory(ActionFactory)
    plan = factory.LazyAttribute(lambda r: r.action.plan)
    period = factory.LazyAttribute(lambda r: r.plan.periods.get(state="open"))
    subject = Rating.Subject.ACTION
    rag = "green"
    created = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved as the services save a rating: with the positions it moves."""
        from plans import positions

        rating = super()._create(model_class, *args, **kwargs)
        positions.refresh(rating.plan_id, [positions.key_of_rating(rating)])
        return rating


class AuditScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditSchedule

    measure = factory.SubFactory(MeasureFactory)
    cadence = AuditSchedule.Cadence.MONTHLY
    interval_months = 1
    rounds = 3
    first_due = dt.date(2024, 10, 31)


class DipSampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DipSample

    measure = factory.SubFactory(MeasureFactory)
    sampled_on = dt.date(2024, 10, 15)
    sample_size = 10
    compliant = 9


class CommitteeReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeReport

    plan = factory.SubFactory(PlanFactory)
    period = factory.LazyAttribute(lambda r: r.plan.periods.order_by("end").last())
    committee = "Children and Education Scrutiny Committee"
    meeting_date = dt.date(2024, 11, 11)
    agenda_item = "6"


class MeasureValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasureValue

    measure = factory.SubFactory(MeasureFactory, method=Measure.Method.PERFORMANCE)
    as_of = dt.date(2024, 9, 30)
    value = Decimal("91.6")
