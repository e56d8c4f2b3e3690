"""History records who changed what, and why."""

from plans import services
from plans.models import Rating


def test_a_rating_records_who_made_it_and_why(action, director):
    rating = services.rating_record(item=action, rag="amber", user=director, commentary="Late")
    entry = rating.history.get()
    assert entry.history_user == director
    assert entry.history_change_reason == "rating"


def test_closing_a_period_records_who_closed_it(plan, action, director, period):
    services.period_close(period=period, user=director)
    entry = period.history.first()
    assert entry.history_user == director
    assert entry.history_change_reason == "period closed"
    carried = Rating.objects.get(action=action, period=period)
    assert carried.history.get().history_user == director


def test_owner_changes_to_an_action_are_kept_in_history(action, director):
    from tests import factories

    extra = factories.OwnerFactory(post="Head of Service")
    action._change_reason = "owner added"
    action.owners.add(extra)
    action.save()
    newest = action.history.first()
    assert {o.owner_id for o in newest.owners.all()} == {o.pk for o in action.owners.all()}
