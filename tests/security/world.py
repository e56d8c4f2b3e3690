"""A small but complete data set for the security tests: one user per role, a plan with
a closed and an open period, an action owned by the director with a proposed rating and
an evidence file, an audited measure with a dip sample, schedule and figure, and a
committee report with a ready PDF. All of that is the council's ("Example Council").

Two more organisations test access by organisation: a neighbouring council owns a joint
plan and shares it with a health board. Their officers (`OUTSIDERS`: the neighbour's
plan administrator and the health board's partner officer, a plan administrator there)
see the joint plan only, and the council's people do not see it.

Everything user-written goes through the services, as it would in the browser, and every
free-text field carries `text`, so the XSS tests can put a payload wherever people type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from audits import services as audit_services
from audits.models import AuditSchedule, DipSample, MeasureValue
from plans import roles, services
from plans.models import (
    Action,
    Evidence,
    Measure,
    Owner,
    Plan,
    Rating,
    Recommendation,
    ReportingPeriod,
)
from reporting import publishing
from reporting import services as report_services
from reporting.models import CommitteeReport, ReportRender
from tests import factories

ROLES = (
    "director",
    "other_director",
    "qa_lead",
    "clerk",
    "board_member",
    "plan_admin",
    "no_role",
    "anonymous",
)
SIGNED_IN = ROLES[:-1]
WITH_A_ROLE = ROLES[:-2]
# Officers of other organisations, both plan administrators (and staff) there, so that
# whatever they are refused is refused for their organisation, not for their role.
OUTSIDERS = ("partner_officer", "other_officer")

ROLE_USERS = {
    "director": roles.SERVICE_DIRECTOR,
    "other_director": roles.SERVICE_DIRECTOR,
    "qa_lead": roles.QA_LEAD,
    "clerk": roles.COMMITTEE_CLERK,
    "board_member": roles.BOARD_MEMBER,
    "plan_admin": roles.PLAN_ADMINISTRATOR,
    "no_role": None,
}


def minimal_pdf() -> bytes:
    """A real one-page PDF (blank), for evidence and a ready render."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class World:
    users: dict[str, User]
    plan: Plan
    closed_period: ReportingPeriod
    open_period: ReportingPeriod
    recommendation: Recommendation
    action: Action
    owner: Owner
    measure: Measure
    proposed: Rating
    evidence: Evidence
    sample: DipSample
    schedule: AuditSchedule
    value: MeasureValue
    report: CommitteeReport
    render: ReportRender
    # A second report of the closed period, approved and published (/published/...).
    published: CommitteeReport
    joint_plan: Plan
    joint_action: Action
    # `data_fingerprint()` of the data set as built: what "nothing changed" compares with.
    fingerprint: str = ""


def build_world(text: str = "", *, evidence_name: str = "minutes.pdf") -> World:
    users = {}
    for username, role in ROLE_USERS.items():
        # Prefixed: a reused test database may hold users called "director" already.
        users[username] = factories.UserFactory(username=f"sec-{username}", role=role)
    users["plan_admin"].is_staff = True
    users["plan_admin"].save()

    plan = factories.PlanFactory(
        slug="security-matrix", title=f"Matrix plan {text}".strip(), requires_signoff=True
    )
    closed = factories.PeriodFactory(
        plan=plan, label="Q1 2024/25", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
    )
    opened = factories.PeriodFactory(
        plan=plan,
        label="Q2 2024/25",
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 9, 30),
        state=ReportingPeriod.State.UPCOMING,
    )
    owner = factories.OwnerFactory(
        post=f"Matrix Director – Practice {text}".strip(),
        person_name=f"Sam Owner {text}".strip(),
        user=users["director"],
    )
    recommendation = factories.RecommendationFactory(
        plan=plan, ref="1", title=f"Care leavers {text}".strip()
    )
    outcome = factories.OutcomeFactory(
        recommendation=recommendation, ref="1.1", text=f"PAs allocated {text}".strip()
    )
    action = factories.ActionFactory(
        recommendation=recommendation,
        outcome=outcome,
        ref="1.1a",
        text=f"Allocate a PA to every care leaver {text}".strip(),
        timescale_text="Mar 25",
        owners=[owner],
    )
    measure = factories.MeasureFactory(
        action=action, text=f"3 x monthly dip sample. Target 90%. {text}".strip()
    )
    services.rating_record(
        item=action, rag="green", user=users["plan_admin"], commentary="On track.", period=closed
    )
    services.period_close(period=closed, user=users["plan_admin"])
    opened.refresh_from_db()
    closed.refresh_from_db()

    proposed = services.action_update(
        action=action,
        user=users["director"],
        expected_version=action.version,
        rag="amber",
        commentary=f"Recruitment is behind plan. {text}".strip(),
        recovery=f"Agency advisers engaged. {text}".strip(),
        evidence_file=SimpleUploadedFile(evidence_name, minimal_pdf(), "application/pdf"),
        evidence_title=f"Panel minutes {text}".strip(),
        today=dt.date(2024, 8, 1),
    )
    action.refresh_from_db()
    schedule = factories.AuditScheduleFactory(measure=measure, first_due=dt.date(2024, 7, 31))
    sample = audit_services.dip_sample_record(
        measure=measure,
        user=users["qa_lead"],
        sampled_on=dt.date(2024, 7, 20),
        sample_size=10,
        compliant=7,
        findings=f"Plans were late. {text}".strip(),
        mitigation=f"Weekly tracking meeting. {text}".strip(),
    )
    value = MeasureValue.objects.create(
        measure=measure,
        period=opened,
        as_of=dt.date(2024, 8, 31),
        value=Decimal("81.5"),
        note=f"From the performance return. {text}".strip(),
    )
    report = report_services.report_create(
        plan=plan,
        period=closed,
        user=users["clerk"],
        committee=f"Children and Education Scrutiny Committee {text}".strip(),
        meeting_date=dt.date(2024, 9, 9),
        agenda_item="6",
        recommendations=f"The committee is asked to note the progress. {text}".strip(),
        purpose=f"To summarise progress. {text}".strip(),
        background=f"The inspection found weaknesses. {text}".strip(),
        consultation=f"Recruitment. {text}".strip(),
    )
    render = ReportRender.objects.create(
        report=report,
        number=1,
        requested_by=users["clerk"],
        started_at=timezone.now(),
        finished_at=timezone.now(),
        attempts=1,
        page_count=1,
    )
    render.pdf.save("render-1.pdf", ContentFile(minimal_pdf()), save=False)
    render.docx.save("render-1.docx", ContentFile(b"PK\x03\x04 a Word document"), save=False)
    render.state = ReportRender.State.READY
    render.save()
    published = publish_a_report(plan, closed, users["clerk"], text)
    joint_plan, joint_action = _other_organisations(users)
    return World(
        joint_plan=joint_plan,
        joint_action=joint_action,
        users=users,
        plan=plan,
        closed_period=closed,
        open_period=opened,
        recommendation=recommendation,
        action=action,
        owner=owner,
        measure=measure,
        proposed=proposed,
        evidence=Evidence.objects.get(rating=proposed),
        sample=sample,
        schedule=schedule,
        value=value,
        report=report,
        render=render,
        published=published,
    )


def publish_a_report(plan: Plan, period: ReportingPeriod, clerk: User, text: str):
    """An approved report of the period, rendered after approval and published."""
    report = report_services.report_create(
        plan=plan,
        period=period,
        user=clerk,
        committee=f"Corporate Parenting Panel {text}".strip(),
        meeting_date=dt.date(2024, 9, 16),
        recommendations=f"The panel is asked to note the report. {text}".strip(),
        purpose=f"To inform the panel. {text}".strip(),
    )
    report = report_services.report_approve(
        report=report, expected_version=report.version, user=clerk
    )
    data = minimal_pdf()
    render = ReportRender(
        report=report,
        number=1,
        requested_by=clerk,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        attempts=1,
        page_count=1,
        checksum=hashlib.sha256(data).hexdigest(),
    )
    render.pdf.save("published-1.pdf", ContentFile(data), save=False)
    render.state = ReportRender.State.READY
    render.save()
    return publishing.report_publish(
        report=report,
        expected_version=report.version,
        user=clerk,
        reason=f"Sent to the panel. {text}".strip(),
    )


def _other_organisations(users: dict[str, User]) -> tuple[Plan, Action]:
    """The neighbouring council's joint plan, shared with the health board, and an
    officer of each (added to `users`)."""
    neighbour = factories.OrganisationFactory(name="Neighbour Council")
    health_board = factories.OrganisationFactory(name="Example Integrated Care Board")
    for key, organisation in (("other_officer", neighbour), ("partner_officer", health_board)):
        users[key] = factories.UserFactory(
            username=f"sec-{key}",
            role=roles.PLAN_ADMINISTRATOR,
            organisation=organisation,
            is_staff=True,
        )
    joint = factories.PlanFactory(
        slug="joint-send", title="Joint SEND plan", organisation=neighbour
    )
    joint.partners.add(health_board)
    factories.PeriodFactory(
        plan=joint, label="Q2 2024/25", start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30)
    )
    recommendation = factories.RecommendationFactory(plan=joint, ref="1", title="Joint assessments")
    action = factories.ActionFactory(
        recommendation=recommendation,
        ref="1a",
        text="Agree the joint assessment pathway",
        owners=[factories.OwnerFactory(post="Joint Commissioning Lead")],
    )
    return joint, action


def clients_for(world: World, **options) -> dict[str, Client]:
    """A test client per role, signed in (and one for anonymous visitors)."""
    clients = {}
    for role in SIGNED_IN:
        client = Client(**options)
        client.force_login(world.users[role])
        clients[role] = client
    clients["anonymous"] = Client(**options)
    return clients


def data_fingerprint() -> str:
    """A digest of every row of the plan, audit and reporting tables (their history
    included) and of who holds which role: equal digests mean nothing changed."""
    digest = hashlib.sha256()
    models = [
        *apps.get_app_config("plans").get_models(),
        *apps.get_app_config("audits").get_models(),
        *apps.get_app_config("reporting").get_models(),
        Group,
        Group.user_set.through,
    ]
    for model in models:
        digest.update(model._meta.label.encode())
        for values in model.objects.order_by("pk").values_list():
            digest.update(repr(values).encode())
    # The accounts themselves (invitations make them), except when each last signed in:
    # the tests' own sign-ins change that.
    columns = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    digest.update(repr(list(User.objects.order_by("pk").values_list(*columns))).encode())
    return digest.hexdigest()
