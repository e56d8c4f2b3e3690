"""Tests for audits.parsing: proposing an audit schedule from a measure's words."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.parsing import CADENCES, ScheduleProposal, propose_schedule


def proposal(cadence, interval, rounds, review, target=None, tolerance=None):
    return ScheduleProposal(
        cadence=cadence,
        interval_months=interval,
        rounds=rounds,
        then_review=review,
        target=Decimal(target) if target else None,
        tolerance=Decimal(tolerance) if tolerance else None,
    )


# Every Outcome measure cell in the 2024 plan that mentions a dip sample, a sample or an
# audit, with the schedule it proposes (None: a one-off audit or no number of rounds).
ILACS_2024_SAMPLED_MEASURES = [
    pytest.param(
        "All cases allocated to a PA. Audit of all new cases since Mar 24. Target 90%.",
        None,
        id="1.1",
    ),
    pytest.param("Audit the impact on CL of prompt allocation dates.", None, id="1.1a"),
    pytest.param(
        "All new cases since 01 Mar 24 allocated within 5 days. Audit of all new cases since "
        "01 Mar 24. Target 90%.",
        None,
        id="1.1b",
    ),
    pytest.param("Audit the impact on CL of prompt\nallocation dates.", None, id="1.1b-later"),
    pytest.param(
        "Team workshops delivered. Two monthly dip sample x 3 then review and re plan if required.",
        proposal("two_monthly", 2, 3, True),
        id="1.2",
    ),
    pytest.param(
        "Impact of improved quality of practice and engagement via 3 x monthly dip sample and "
        "supervision, then review. Target 90%.",
        proposal("monthly", 1, 3, True, "90"),
        id="1.6",
    ),
    pytest.param(
        "Evaluate impact via 3 x monthly dip samples of case and supervision records then "
        "review. Target 90%.",
        proposal("monthly", 1, 3, True, "90"),
        id="1.7",
    ),
    pytest.param(
        "Deliver training workshop and slide deck for CL managers. Impact of improved management "
        "oversight of practice. Dip sample/audit case and\nsupervision records.",
        None,
        id="1.8",
    ),
    pytest.param(
        "Impact measured via 6 x dip sampling then review. Target 100% - tolerance 10%.",
        proposal("monthly", 1, 6, True, "100", "10"),
        id="2.1a",
    ),
    pytest.param(
        "All children are allocated within 24 hours of referral being received in the 0-25 "
        "team. Impact measured via dip\nsample x 3. Target 100%",
        proposal("monthly", 1, 3, False, "100"),
        id="2.2",
    ),
    pytest.param(
        "Sample duty rota x 3 then review.",
        proposal("monthly", 1, 3, True),
        id="2.3",
    ),
    pytest.param(
        "Staff in place. Impact measured via 3 x dip sampling x3 monthly then review. Target 100%",
        proposal("monthly", 1, 3, True, "100"),
        id="3.1",
    ),
    pytest.param(
        "Dip Sampling to test impact 3 x monthly.",
        proposal("monthly", 1, 3, False),
        id="4.1b",
    ),
    pytest.param(
        "<p>Monthly x 6 dip samples show rising rate of plans detailing how risks will be "
        "managed.</p> <p>Review after 6 months sampling. Target 100%</p>",
        proposal("monthly", 1, 6, True, "100"),
        id="4.2a",
    ),
    pytest.param(
        "CiC Council consulted and engaged. Practice guidance issued and bite size workshops to "
        "staff delivered. Monthly dip sample x 3 then review.",
        proposal("monthly", 1, 3, True),
        id="5.3",
    ),
    pytest.param(
        "Review and changes to practice guidance complete and agreed. Comms to staff and amended "
        "guidance issued. Quarterly dip samples x 3 then review.",
        proposal("quarterly", 3, 3, True),
        id="5.4",
    ),
    pytest.param(
        "Comms to staff and amended guidance issued. Quarterly dip samples x 3 then review.",
        proposal("quarterly", 3, 3, True),
        id="5.5a",
    ),
    pytest.param(
        "Review and changes to guidance complete and agreed. Comms to staff and amended guidance "
        "issued.\nTwo monthly dip samples x 3 then review.",
        proposal("two_monthly", 2, 3, True),
        id="6.1",
    ),
    pytest.param(
        "Training delivered. 3 x monthly dip samples then review. Target 90%.",
        proposal("monthly", 1, 3, True, "90"),
        id="6.2",
    ),
    pytest.param(
        "Test impact via monthly x 3 dip samples of case and supervision records then review. "
        "Target 90%.",
        proposal("monthly", 1, 3, True, "90"),
        id="7.1a",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ILACS_2024_SAMPLED_MEASURES)
def test_every_sampled_measure_in_the_2024_plan_proposes_its_schedule(text, expected):
    assert propose_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 x monthly dip sample", proposal("monthly", 1, 3, False)),
        (
            "3 x monthly dip samples then review. Target 90%",
            proposal("monthly", 1, 3, True, "90"),
        ),
        (
            "Two monthly dip sample x 3 then review and re plan if required",
            proposal("two_monthly", 2, 3, True),
        ),
        ("Quarterly dip samples x 3", proposal("quarterly", 3, 3, False)),
        ("bi-monthly audit x 4", proposal("two_monthly", 2, 4, False)),
        ("six monthly audit x 2", proposal("custom", 6, 2, False)),
        ("6-monthly audit x 2", proposal("custom", 6, 2, False)),
        ("three monthly dip sample x 4", proposal("quarterly", 3, 4, False)),
        ("annual audit x 3", proposal("custom", 12, 3, False)),
        ("dip sample three times", proposal("monthly", 1, 3, False)),
        ("twelve x monthly audits", proposal("monthly", 1, 12, False)),
        ("3x quarterly audit", proposal("quarterly", 3, 3, False)),
        (
            "Monthly dip sample x 4, target of 95% with 5% tolerance",
            proposal("monthly", 1, 4, False, "95", "5"),
        ),
    ],
)
def test_the_cadence_and_rounds_are_read_however_they_are_written(text, expected):
    assert propose_schedule(text) == expected


def test_six_rounds_with_no_cadence_are_monthly():
    schedule = propose_schedule("Impact measured via 6 x dip sampling then review.")
    assert (schedule.cadence, schedule.interval_months, schedule.rounds) == ("monthly", 1, 6)


def test_a_number_beside_an_x_is_rounds_not_a_cadence():
    schedule = propose_schedule("3 x dip sampling x3 monthly")
    assert (schedule.cadence, schedule.rounds) == ("monthly", 3)


def test_review_after_six_months_is_not_a_six_monthly_cadence():
    schedule = propose_schedule("Monthly x 6 dip samples. Review after 6 months sampling.")
    assert (schedule.cadence, schedule.rounds, schedule.then_review) == ("monthly", 6, True)


@pytest.mark.parametrize(
    "text",
    [
        "Training delivered and slide decks distributed.",
        "Quarterly review to track progress.",
        "Review service effectiveness annually.",
        "Time limited working group LGA Peer Review LGA Peer Review recommendations",
        "Supervision training delivered x 3",
        "Quarterly audit",
        "weekly dip sample x 4",
        "dip sample x 0",
        "",
        None,
    ],
)
def test_text_that_does_not_describe_repeated_sampling_proposes_nothing(text):
    assert propose_schedule(text) is None


def test_the_proposal_cadence_is_one_the_schedule_knows():
    assert propose_schedule("Quarterly dip samples x 3").cadence in CADENCES


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                [
                    "3",
                    "x",
                    "x3",
                    "six",
                    "monthly",
                    "bi-monthly",
                    "quarterly",
                    "dip",
                    "sample",
                    "audit",
                    "then",
                    "review",
                    "Target",
                    "90%",
                    "tolerance",
                    "0",
                    "99",
                    "×",
                ]
            ),
            max_size=10,
        ).map(" ".join),
    )
)
def test_propose_schedule_never_raises_and_proposes_whole_rounds(text):
    schedule = propose_schedule(text)
    if schedule is not None:
        assert schedule.rounds >= 1
        assert schedule.interval_months >= 1
        assert schedule.cadence in CADENCES
