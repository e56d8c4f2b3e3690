"""Optimistic locking: a save based on a stale copy is refused, nothing is overwritten."""

import threading

import pytest
from django.db import close_old_connections

from core.models import ConflictError, save_versioned
from plans.models import Action
from tests.conftest import requires_postgres


def test_a_save_from_a_stale_copy_is_refused(action, director, other_director):
    mine = Action.objects.get(pk=action.pk)
    theirs = Action.objects.get(pk=action.pk)
    theirs.text = "Their wording"
    save_versioned(theirs, expected_version=theirs.version, user=other_director)
    mine.text = "My wording"
    with pytest.raises(ConflictError) as conflict:
        save_versioned(mine, expected_version=mine.version, user=director)
    assert conflict.value.current.text == "Their wording"
    action.refresh_from_db()
    assert action.text == "Their wording"
    assert action.version == 2


def test_a_versioned_save_writes_history_with_user_and_reason(action, director):
    action.text = "Reworded"
    save_versioned(action, expected_version=1, user=director, reason="clarified")
    latest = action.history.first()
    assert latest.history_user == director
    assert latest.history_change_reason == "clarified"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_of_the_same_version_let_exactly_one_through(
    django_db_blocker,
):
    from tests import factories

    owner = factories.OwnerFactory(post="Head of Service")
    action = factories.ActionFactory(owners=[owner])
    history_before = action.history.count()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(text: str) -> None:
        try:
            copy = Action.objects.get(pk=action.pk)
            barrier.wait(timeout=10)
            copy.text = text
            save_versioned(copy, expected_version=1)
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    action.refresh_from_db()
    assert action.version == 2
    assert action.history.count() == history_before + 1
