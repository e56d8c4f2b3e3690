"""Business rules for plans: every write goes through a function here.

Views, admin, import, commands and tasks call these, so each rule lives in one place:
how ratings are recorded, when a rating needs a reason, how due dates are revised,
and what closing a period does.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.models import ConflictError, save_versioned
from plans import bounds, positions, roles, rules, selectors
from plans import evidence as evidence_rules
from plans.models import (
    RAG,
    RAG_ORDER,
    Action,
    DueDateRevision,
    Evidence,
    Measure,
    Plan,
    Position,
    Rating,
    Recommendation,
    RemedialAction,
    ReportingPeriod,
)


def rag_is_better(rag: str, than: str) -> bool:
    """Is `rag` a better position than `than`? Not rated is never better or worse."""
    if not rag or not than:
        return False
    return RAG_ORDER[rag] > RAG_ORDER[than]


def local_today() -> dt.date:
    return rules.local_today()


def action_overdue(action: Action, *, today: dt.date | None = None) -> tuple[int, dt.date]:
    """Days overdue now and the date they are judged on (`plans.rules.overdue_as_of`
    with no period: an action's own pages are about the work now)."""
    as_of = rules.overdue_as_of(today=today or local_today())
    return rules.days_overdue(action, today=as_of), as_of


def action_days_behind(action: Action, *, today: dt.date | None = None) -> int:
    """How far behind an open action is (`plans.rules.days_behind`)."""
    return rules.days_behind(action, today=today or local_today())


def action_suggested_rag(action: Action, *, today: dt.date | None = None) -> str:
    """The RAG the dates suggest (`plans.rules.suggested_rag`)."""
    return rules.suggested_rag(action, today=today or local_today())


def open_period(plan: Plan) -> ReportingPeriod | None:
    return plan.periods.filter(state=ReportingPeriod.State.OPEN).first()


def _subject_of(item: Action | Measure | Recommendation, facet: str | None) -> dict:
    if isinstance(item, Action):
        return {"subject": Rating.Subject.ACTION, "action": item}
    if isinstance(item, Measure):
        return {"subject": Rating.Subject.MEASURE, "measure": item}
    if facet not in (Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS):
        raise ValueError("A recommendation rating needs a facet: outcome, impact or progress.")
    return {"subject": facet, "recommendation": item}


def rating_record(
    *,
    item: Action | Measure | Recommendation,
    rag: str,
    user,
    commentary: str = "",
    facet: str | None = None,
    period: ReportingPeriod | None = None,
    suggested_rag: str = "",
    override_reason: str = "",
    confirmed: bool | None = None,
    created: dt.datetime | None = None,
    reason: str = "rating",
) -> Rating:
    """Record a new dated RAG for an item. Nothing is overwritten: the latest rating of
    an item in a period is its position for that period.

    - The rating goes into `period`, by default the plan's open period; a closed
      period is refused.
    - A rating better than `suggested_rag` (what the evidence or the dates suggest)
      needs `override_reason`.
    - Where the plan asks for sign-off, a rating by someone who cannot confirm is
      *proposed*; `confirmed` forces the status (used by import of historical data).
    """
    plan = item.plan
    if rag not in RAG.values:
        raise ValidationError({"rag": f"Unknown RAG value {rag!r}."})
    period = period or open_period(plan)
    if period is None:
        raise ValidationError("No reporting period is open for this plan, so it cannot be rated.")
    if period.plan_id != plan.pk:
        raise ValidationError("That period belongs to another plan.")
    if period.is_closed:
        raise ValidationError(f"{period.label} is closed: its ratings can no longer change.")
    if rag_is_better(rag, suggested_rag) and bounds.is_blank(override_reason):
        # An action's suggestion comes from its dates, a measure's from its evidence: the
        # message names what the form's question names.
        grounds = "The dates suggest" if isinstance(item, Action) else "The evidence suggests"
        raise ValidationError(
            {
                "override_reason": (
                    f"{grounds} {plan.rag_label(suggested_rag)}: explain why "
                    f"the position is {plan.rag_label(rag)}."
                )
            }
        )
    if confirmed is None:
        confirmed = not plan.requires_signoff or roles.can_confirm_ratings(user, plan)
    rating = Rating(
        plan=plan,
        period=period,
        rag=rag,
        commentary=commentary.strip(),
        suggested_rag=suggested_rag,
        override_reason=override_reason.strip(),
        status=Rating.Status.CONFIRMED if confirmed else Rating.Status.PROPOSED,
        created=created or timezone.now(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **_subject_of(item, facet),
    )
    if confirmed and rating.created_by:
        rating.reviewed_by, rating.reviewed_at = rating.created_by, rating.created
    rating.full_clean()
    rating._history_user = rating.created_by
    rating._change_reason = reason
    with transaction.atomic():
        # Closing holds this row lock until it commits: wait for it, then look again, so
        # that no rating slips into a period as it closes.
        if ReportingPeriod.objects.select_for_update().get(pk=period.pk).is_closed:
            raise ValidationError(f"{period.label} is closed: its ratings can no longer change.")
        rating.save()
        positions.refresh(plan.pk, [positions.key_of_rating(rating)])
    return rating


def ratings_record_many(
    *,
    plan: Plan,
    ratings: Iterable[tuple[Action | Measure, str]],
    user,
    period: ReportingPeriod | None = None,
    commentary: str = "",
    reason: str = "rating",
) -> list[Rating]:
    """Record many confirmed positions at once, as a plan import states them: each
    (item, RAG) becomes a new rating, as `rating_record(confirmed=True)` would make it.

    The same rules for the period (the plan's open one by default; never another plan's;
    never a closed one, checked under the period's row lock as closing takes it) and for
    the RAG values. Written with their history rows in a few queries: one
    `rating_record` per row costs several queries and validations, which for a
    2,000-row workbook is most of the import's time.
    """
    entries = list(ratings)
    if not entries:
        return []
    for item, rag in entries:
        if item.plan_id != plan.pk:
            raise ValidationError(f"{item} belongs to another plan.")
        if rag not in RAG.values:
            raise ValidationError({"rag": f"Unknown RAG value {rag!r}."})
    period = period or open_period(plan)
    if period is None:
        raise ValidationError("No reporting period is open for this plan, so it cannot be rated.")
    if period.plan_id != plan.pk:
        raise ValidationError("That period belongs to another plan.")
    created_by = user if getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        if ReportingPeriod.objects.select_for_update().get(pk=period.pk).is_closed:
            raise ValidationError(f"{period.label} is closed: its ratings can no longer change.")
        made = [
            Rating(
                plan=plan,
                period=period,
                rag=rag,
                commentary=commentary.strip(),
                status=Rating.Status.CONFIRMED,
                created=now,
                created_by=created_by,
                reviewed_by=created_by,
                reviewed_at=now if created_by else None,
                **_subject_of(item, None),
            )
            for item, rag in entries
        ]
        made = bulk_create_with_history(
            made, Rating, default_user=created_by, default_change_reason=reason
        )
        positions.refresh(plan.pk, {positions.key_of_rating(rating) for rating in made})
        return made


def action_revise_due_date(
    *,
    action: Action,
    new_date: dt.date,
    reason: str,
    user,
    expected_version: int,
) -> DueDateRevision:
    """Move an action's due date, keeping its baseline and recording the revision."""
    if bounds.is_blank(reason):
        raise ValidationError({"reason": "Say why the due date is changing."})
    if problem := bounds.date_problem(new_date):
        raise ValidationError({"new_date": problem})
    if new_date == action.due_date:
        raise ValidationError({"new_date": "That is already the due date."})
    with transaction.atomic():
        old_date = action.due_date
        action.due_date = new_date
        if action.start_date and new_date < action.start_date:
            raise ValidationError({"new_date": "The due date cannot be before the start date."})
        save_versioned(
            action,
            expected_version=expected_version,
            user=user,
            reason=f"Due date revised: {reason.strip()}",
        )
        revision = DueDateRevision(
            action=action,
            old_date=old_date,
            new_date=new_date,
            reason=reason.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        revision._history_user = revision.created_by
        revision._change_reason = reason.strip()
        revision.save()
    return revision


def period_close(*, period: ReportingPeriod, user=None, now: dt.datetime | None = None) -> bool:
    """Freeze the plan's position as of the period's end.

    In one transaction: every action, measure and recommendation facet with no
    confirmed rating in the period gets its previous confirmed position carried forward,
    marked "not updated this period"; the period becomes closed (read-only), and the
    next upcoming period opens. Periods close in order: an earlier one still open is
    refused with a ValidationError. Returns False, changing nothing, if it was already
    closed, so a retried task or a second click is harmless.
    """
    # Long because: one transaction under the period's lock: carry forward every unrated item,
    # freeze, open the next; the steps share the lock and the positions held.
    now = now or timezone.now()
    with transaction.atomic():
        period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if period.is_closed:
            return False
        plan = period.plan
        # Positions build on the period before: closing out of order would carry
        # forward from a position that can still change.
        unclosed = (
            plan.periods.filter(end__lt=period.end)
            .exclude(state=ReportingPeriod.State.CLOSED)
            .order_by("end")
            .first()
        )
        if unclosed is not None:
            raise ValidationError(f"Close {unclosed.label} first: positions build on it.")
        this = Rating.objects.confirmed().filter(period=period)
        # Each item's confirmed position as of this period, as the positions table
        # holds it (`plans.positions`): for an item not rated in it, the one before.
        held = {
            (row.subject, row.action_id or row.measure_id or row.recommendation_id): row
            for row in Position.objects.filter(period=period, confirmed_rating__isnull=False)
            .select_related("confirmed_rating")
            .order_by()
        }
        carried: list[Rating] = []

        def carry(subject: str, key: str, item_ids: Iterable[int]) -> None:
            rated_now = set(this.filter(subject=subject).values_list(key, flat=True))
            for item_id in item_ids:
                if item_id in rated_now:
                    continue
                row = held.get((subject, item_id))
                previous = row.confirmed_rating if row else None
                carried.append(
                    Rating(
                        plan=plan,
                        period=period,
                        subject=subject,
                        rag=previous.rag if previous else RAG.NOT_RATED,
                        commentary=previous.commentary if previous else "",
                        # The reason for a rating other than the evidence gave travels
                        # with it, so a carried position still shows why.
                        suggested_rag=previous.suggested_rag if previous else "",
                        override_reason=previous.override_reason if previous else "",
                        carried_forward=True,
                        status=Rating.Status.CONFIRMED,
                        created=now,
                        created_by=user,
                        **{key: item_id},
                    )
                )

        carry(Rating.Subject.ACTION, "action_id", plan.actions.values_list("pk", flat=True))
        carry(Rating.Subject.MEASURE, "measure_id", plan.measures.values_list("pk", flat=True))
        facets_used = set(
            Rating.objects.filter(plan=plan, recommendation__isnull=False).values_list(
                "subject", flat=True
            )
        )
        rec_ids = list(plan.recommendations.values_list("pk", flat=True))
        for facet in sorted(facets_used):
            carry(facet, "recommendation_id", rec_ids)
        if carried:
            bulk_create_with_history(
                carried,
                Rating,
                default_user=user,
                default_change_reason=f"{period.label} closed: position carried forward",
            )
        # The closing period's positions (and the upcoming ones') before it freezes.
        positions.refresh(plan.pk)
        period.closing_counts = selectors.closing_counts(period)
        period.state = ReportingPeriod.State.CLOSED
        period.closed_at = now
        period.closed_by = user
        period._history_user = user
        period._change_reason = "period closed"
        period.save()
        following = (
            plan.periods.filter(state=ReportingPeriod.State.UPCOMING, end__gt=period.end)
            .order_by("end")
            .first()
        )
        if following and not plan.periods.filter(state=ReportingPeriod.State.OPEN).exists():
            following.state = ReportingPeriod.State.OPEN
            following._history_user = user
            following._change_reason = f"opened when {period.label} closed"
            following.save()
    return True


# --- The director's update: rating, commentary, recovery, evidence, new due date ---------

NEEDS_RECOVERY = (RAG.AMBER, RAG.RED)


def _merge_errors(errors: dict[str, list], error: ValidationError, rename: dict) -> None:
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            errors.setdefault(rename.get(name, name), []).extend(messages)
    else:
        errors.setdefault(NON_FIELD_ERRORS, []).extend(error.messages)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def action_update(
    *,
    action: Action,
    user,
    expected_version: int,
    rag: str,
    commentary: str,
    override_reason: str = "",
    recovery: str = "",
    recovery_due: dt.date | None = None,
    completed_on: dt.date | None = None,
    evidence_file: UploadedFile | None = None,
    evidence_link: str = "",
    evidence_title: str = "",
    new_due_date: dt.date | None = None,
    due_date_reason: str = "",
    period: ReportingPeriod | None = None,
    today: dt.date | None = None,
) -> Rating:
    """A director's monthly update of an action, all or nothing, in one transaction.

    - Refused with ConflictError if the action was saved since `expected_version` was
      read (nothing is written), and with PermissionDenied unless the user may edit it.
    - Records a new rating in the open period (`period`, when given, is the one the
      form was filled in for: if it has closed meanwhile the update is refused rather
      than filed under another period). Commentary is required.
    - Amber or Red needs `recovery`, what will bring it back on track: it updates the
      action's open remedial action or creates one. Green or Blue completes open
      remedial actions. Blue means complete and needs `completed_on`; any other rating
      of a complete action reopens it.
    - An optional evidence file (checked by `plans.evidence`) or link is attached to
      the rating; an optional new due date goes through `action_revise_due_date`.
    - The dates suggest a RAG from the action as it will be after the update (a new due
      date past the baseline is slippage); a better rating needs `override_reason`.

    Every problem is reported at once as a ValidationError keyed by these argument names.
    """
    # Long because: its keyword signature and contract docstring take 37 lines; the body is the
    # sequence of named steps below.
    today = today or local_today()
    commentary, recovery = commentary.strip(), recovery.strip()
    due_date_reason, evidence_link = due_date_reason.strip(), evidence_link.strip()
    stored: list[str] = []  # evidence files written, deleted again if anything fails
    try:
        with transaction.atomic():
            current, open_now = _action_for_update(action, user, expected_version, period)
            errors, kind = _update_errors(
                current,
                rag=rag,
                commentary=commentary,
                recovery=recovery,
                recovery_due=recovery_due,
                completed_on=completed_on,
                new_due_date=new_due_date,
                due_date_reason=due_date_reason,
                evidence_file=evidence_file,
                evidence_link=evidence_link,
                today=today,
            )
            rating = None
            try:
                rating = rating_record(
                    item=current,
                    rag=rag,
                    user=user,
                    commentary=commentary,
                    period=open_now,
                    suggested_rag=action_suggested_rag(
                        _action_after(current, rag, new_due_date), today=today
                    ),
                    override_reason=override_reason,
                    reason=f"Rated {current.plan.rag_label(rag)} in the update form",
                )
            except ValidationError as error:
                _merge_errors(errors, error, {})
            if errors:
                raise ValidationError(errors)

            notes = [f"Rated {current.plan.rag_label(rag)} for {open_now.label}"]
            _remedials_update(
                current,
                user=user,
                rag=rag,
                recovery=recovery,
                recovery_due=recovery_due,
                period=open_now,
                today=today,
            )
            if evidence_file is not None or evidence_link:
                _evidence_attach(
                    current,
                    rating=rating,
                    upload=evidence_file,
                    kind=kind,
                    link=evidence_link,
                    title=evidence_title,
                    period=open_now,
                    stored=stored,
                )
            notes.extend(_status_set(current, rag, completed_on))
            _action_save(
                current,
                user=user,
                expected_version=expected_version,
                notes=notes,
                new_due_date=new_due_date,
                due_date_reason=due_date_reason,
            )
    except BaseException:
        for name in stored:
            Evidence._meta.get_field("file").storage.delete(name)
        raise
    action.version = current.version
    return rating


def _action_for_update(
    action: Action, user, expected_version: int, period: ReportingPeriod | None
) -> tuple[Action, ReportingPeriod | None]:
    """The action locked for the update and its plan's open period.

    Refused (PermissionDenied, ConflictError, ValidationError) before anything is checked
    when the user may not edit it, it changed since read, or the form's period closed.
    """
    current = (
        Action.objects.select_for_update(of=("self",)).select_related("plan").get(pk=action.pk)
    )
    if not roles.can_edit_action(user, current):
        raise PermissionDenied("Only the action's accountable owners can update it.")
    if current.version != expected_version:
        raise ConflictError(current)
    open_now = open_period(current.plan)
    if period is not None and (open_now is None or open_now.pk != period.pk):
        raise ValidationError(
            f"{period.label} closed while you were writing this update, so it was "
            "not saved." + (f" {open_now.label} is open now." if open_now else "")
        )
    return current, open_now


def _update_errors(
    current: Action,
    *,
    rag: str,
    commentary: str,
    recovery: str,
    recovery_due: dt.date | None,
    completed_on: dt.date | None,
    new_due_date: dt.date | None,
    due_date_reason: str,
    evidence_file: UploadedFile | None,
    evidence_link: str,
    today: dt.date,
) -> tuple[dict[str, list], str | None]:
    """The update's problems keyed by argument name, and the evidence file's kind."""
    plan = current.plan
    errors: dict[str, list] = {}
    if rag not in (RAG.BLUE, RAG.GREEN, RAG.AMBER, RAG.RED):
        errors["rag"] = ["Choose a RAG rating."]
    if not commentary:
        errors["commentary"] = ["Say how the action is going."]
    if rag in NEEDS_RECOVERY and not recovery:
        errors["recovery"] = [f"Say what will bring it back on track: it is {plan.rag_label(rag)}."]
    if rag == RAG.BLUE:
        if completed_on is None:
            errors["completed_on"] = ["Blue means complete: give the completion date."]
        elif completed_on > today:
            errors["completed_on"] = ["The completion date cannot be in the future."]
        if new_due_date is not None:
            errors["new_due_date"] = ["A complete action needs no new due date."]
    if new_due_date is not None and not due_date_reason:
        errors["due_date_reason"] = ["Say why the due date is changing."]
    # Dates the update looks forward to: a past one is a slip of the keyboard.
    if new_due_date is not None and new_due_date < today and rag != RAG.BLUE:
        errors.setdefault("new_due_date", []).append(
            "The new due date is in the past: give the date it will now be done by."
        )
    if recovery_due is not None and recovery_due < today and rag in NEEDS_RECOVERY:
        errors["recovery_due"] = [
            "The recovery date is in the past: give the date it will be back on track."
        ]
    if due_date_reason and new_due_date is None:
        errors["new_due_date"] = ["Give the new due date, or leave the reason empty."]
    for name, problems in bounds.date_errors(
        recovery_due=recovery_due, completed_on=completed_on, new_due_date=new_due_date
    ).items():
        errors.setdefault(name, []).extend(problems)
    kind = None
    if evidence_file is not None:
        try:
            kind = evidence_rules.evidence_check(evidence_file)
        except ValidationError as error:
            errors["evidence_file"] = error.messages
    if evidence_link:
        try:
            evidence_rules.evidence_link_check(evidence_link)
        except ValidationError as error:
            errors["evidence_link"] = error.messages
    return errors, kind


def _action_after(current: Action, rag: str, new_due_date: dt.date | None) -> Action:
    """An unsaved copy of the action as the update leaves it, for the dates' suggestion."""
    after = copy.copy(current)
    if new_due_date is not None:
        after.due_date = new_due_date
    if rag == RAG.BLUE:
        after.status = Action.Status.COMPLETE
    elif rag:
        after.status = Action.Status.OPEN
    return after


def _remedials_update(
    current: Action,
    *,
    user,
    rag: str,
    recovery: str,
    recovery_due: dt.date | None,
    period: ReportingPeriod,
    today: dt.date,
) -> None:
    """Amber or Red writes the recovery into the latest open remedial action (or a new
    one); Green or Blue completes every open one."""
    plan = current.plan
    open_remedials = list(
        current.remedial_actions.filter(completed_on__isnull=True).order_by("-pk")
    )
    if rag in NEEDS_RECOVERY:
        remedial = open_remedials[0] if open_remedials else None
        if remedial is None:
            remedial = RemedialAction(plan=plan, action=current, responsible=_person(user))
            remedial._change_reason = f"Recovery given with the {period.label} rating"
        elif remedial.text != recovery or (recovery_due and remedial.due_date != recovery_due):
            remedial._change_reason = f"Recovery updated with the {period.label} rating"
        else:
            return
        remedial.text = recovery
        if recovery_due:
            remedial.due_date = recovery_due
        remedial._history_user = user
        remedial.full_clean()
        remedial.save()
    elif rag in (RAG.GREEN, RAG.BLUE):
        for remedial in open_remedials:
            remedial.completed_on = today
            remedial.completed_text = f"Back on track: rated {plan.rag_label(rag)}"
            remedial._history_user = user
            remedial._change_reason = f"Rated {plan.rag_label(rag)} for {period.label}"
            remedial.save()


def _evidence_attach(
    current: Action,
    *,
    rating: Rating,
    upload: UploadedFile | None,
    kind: str | None,
    link: str,
    title: str,
    period: ReportingPeriod,
    stored: list[str],
) -> None:
    """Attach the checked evidence file or link to the rating; a file's stored name is
    appended to `stored` as soon as it is written, so that a later failure can delete it."""
    item = Evidence(
        action=current,
        rating=rating,
        title=(title.strip() or (evidence_rules.safe_name(upload.name) if upload else "") or link)[
            :200
        ],
        link=link,
        created_by=rating.created_by,
    )
    if upload is not None:
        evidence_rules.evidence_file_put(item=item, upload=upload, kind=kind)
        # Written now rather than by save(), so that a failure below can delete it.
        item.file.save(item.file.name, upload, save=False)
        stored.append(item.file.name)
    item._history_user = rating.created_by
    item._change_reason = f"Evidence for the {period.label} rating"
    item.save()


def _status_set(current: Action, rag: str, completed_on: dt.date | None) -> list[str]:
    """Blue completes the action, any other rating reopens a complete one; the notes
    for the history row say which."""
    if rag == RAG.BLUE:
        current.status = Action.Status.COMPLETE
        current.completed_on = completed_on
        return [f"complete on {completed_on:%d %b %Y}"]
    if current.status == Action.Status.COMPLETE:
        current.status = Action.Status.OPEN
        current.completed_on = None
        return ["reopened"]
    return []


def _action_save(
    current: Action,
    *,
    user,
    expected_version: int,
    notes: list[str],
    new_due_date: dt.date | None,
    due_date_reason: str,
) -> None:
    """Save the action once, with one history row whose reason says everything the update
    did: through `action_revise_due_date` when the due date changes, else directly."""
    if new_due_date is None:
        save_versioned(
            current, expected_version=expected_version, user=user, reason="; ".join(notes)
        )
        return
    try:
        action_revise_due_date(
            action=current,
            new_date=new_due_date,
            reason=due_date_reason,
            user=user,
            expected_version=expected_version,
        )
    except ValidationError as error:
        renamed: dict[str, list] = {}
        _merge_errors(renamed, error, {"new_date": "new_due_date", "reason": "due_date_reason"})
        raise ValidationError(renamed) from error
    notes.append(f"due date revised: {due_date_reason}")
    saved = current.history.order_by("-history_date", "-history_id").first()
    saved.history_change_reason = "; ".join(notes)
    saved.save(update_fields=["history_change_reason"])
