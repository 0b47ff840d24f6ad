"""Every transition, legal and illegal, from every state; and who may perform each."""

import pytest

from applications.constants import STAGE_PARTY
from applications.constants import ServiceStatus as S
from applications.models import ServiceApplication, StateChange
from applications.services import service_application_transition
from applications.workflow import LEAD_REVIEW, SERVICE, transitions_available
from core.errors import IllegalTransition, NotFound, PermissionDenied
from tests.factories import company, make_service, member_of, staff_of

STAGE_DATA = {
    "return_for_correction": {"reason": "请补充建设工程规划许可证"},
    "reject": {"reason": "项目不在供电范围内"},
    "issue_plan": {
        "survey_result": "现场具备接入条件",
        "plan": "由10kV翠亨线T接,新建箱变一台",
        "fee_quote_cny": "0.00",
        "required_permits": ["planning", "road_excavation"],
    },
    "fail_inspection": {"inspection_result": "接地电阻不合格"},
    "connect": {"inspection_result": "验收合格"},
    "withdraw": {"reason": "项目暂缓"},
    "record_visit": {"reason": "申请人到窗口递交纸质材料"},
}

# (transition, from state) -> to state, for a standard case (survey, plan, inspection).
STANDARD = {
    ("submit", S.DRAFT): S.SUBMITTED,
    ("accept", S.SUBMITTED): S.ACCEPTED,
    ("return_for_correction", S.SUBMITTED): S.RETURNED,
    ("reject", S.SUBMITTED): S.REJECTED,
    ("resubmit", S.RETURNED): S.SUBMITTED,
    ("start_survey", S.ACCEPTED): S.SURVEYING,
    ("issue_plan", S.SURVEYING): S.PLAN_ISSUED,
    ("confirm_plan", S.PLAN_ISSUED): S.PERMITTING,
    ("complete_construction", S.CONSTRUCTING): S.INSPECTING,
    ("fail_inspection", S.INSPECTING): S.CONSTRUCTING,
    ("connect", S.INSPECTING): S.CONNECTED,
    ("close", S.CONNECTED): S.CLOSED,
    **{
        ("withdraw", state): S.WITHDRAWN
        for state in (
            S.DRAFT,
            S.SUBMITTED,
            S.RETURNED,
            S.ACCEPTED,
            S.SURVEYING,
            S.PLAN_ISSUED,
            S.PERMITTING,
        )
    },
    # A counter visit is recorded in any open stage and leaves the state where it is.
    **{("record_visit", state): state for state in STAGE_PARTY},
}
# A fast-track case (e.g. cable TV, low-voltage "三零"): accepted -> constructing -> connected.
FAST_TRACK = {
    key: target
    for key, target in STANDARD.items()
    if key not in {("start_survey", S.ACCEPTED), ("complete_construction", S.CONSTRUCTING)}
}
FAST_TRACK[("start_construction", S.ACCEPTED)] = S.CONSTRUCTING
FAST_TRACK[("connect", S.CONSTRUCTING)] = S.CONNECTED

# Each transition a person performs and the party's permission that allows it.
TRANSITION_PERMISSIONS = {
    name: SERVICE[name].permissions[0] for name in SERVICE.names(where=lambda t: not t.system_only)
}
LEAD_REVIEW_TRANSITIONS = SERVICE.names(where=lambda t: LEAD_REVIEW in t.permissions)
ALL_CASES = [(t, s) for t in TRANSITION_PERMISSIONS for s in S.values]


def _actor_for(transition, applicant, operator):
    return applicant if TRANSITION_PERMISSIONS[transition].endswith("applicant") else operator


def _case(applicant_org, applicant, project, status, fast_track):
    return make_service(
        applicant_org=applicant_org,
        applicant=applicant,
        project=project,
        status=status,
        fast_track=fast_track,
        needs_inspection=not fast_track,
        required_permits=["planning"] if status == S.PLAN_ISSUED else [],
        returned_from=S.SUBMITTED if status == S.RETURNED else "",
    )


@pytest.mark.parametrize("fast_track", [False, True], ids=["standard", "fast-track"])
@pytest.mark.parametrize(("transition", "state"), ALL_CASES)
def test_transition_from_every_state(
    transition, state, fast_track, applicant_org, applicant, project, operator_staff
):
    table = FAST_TRACK if fast_track else STANDARD
    sa = _case(applicant_org, applicant, project, state, fast_track)
    actor = _actor_for(transition, applicant, operator_staff("csg-zhongshan"))
    before = StateChange.objects.count()

    if (transition, state) in table:
        sa = service_application_transition(
            actor=actor,
            service_application=sa,
            transition=transition,
            data=STAGE_DATA.get(transition, {}),
        )
        assert sa.status == table[(transition, state)]
        change = StateChange.objects.filter(service_application=sa, transition=transition).get()
        assert (change.from_state, change.to_state, change.actor) == (state, sa.status, actor)
    else:
        with pytest.raises(IllegalTransition):
            service_application_transition(
                actor=actor,
                service_application=sa,
                transition=transition,
                data=STAGE_DATA.get(transition, {}),
            )
        sa.refresh_from_db()
        assert sa.status == state
        assert StateChange.objects.count() == before


def test_confirming_a_plan_without_permits_goes_straight_to_construction(
    applicant_org, applicant, project
):
    sa = make_service(
        applicant_org=applicant_org, applicant=applicant, project=project, status=S.PLAN_ISSUED
    )
    sa = service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )
    assert sa.status == S.CONSTRUCTING
    assert sa.permits.count() == 0


@pytest.fixture
def roles(reference, applicant, operator_staff):
    """One user per role; the case below belongs to `applicant` and 中山供电局."""
    return {
        "applicant": applicant,
        "other_applicant": member_of(company("other", "中山其他公司"), username="other"),
        "operator": operator_staff("csg-zhongshan"),
        "other_operator": operator_staff("zs-water"),
        "lead_agency": staff_of("ndrc", username="ndrc-staff"),
        "other_lead_agency": staff_of("water-bureau", username="water-staff"),
        "permit_agency": staff_of("natural-resources", username="nr-staff"),
        "leadership_office": staff_of("leadership-office", username="office-staff"),
    }


SOURCE = {transition: state for (transition, state) in STANDARD}
SOURCE["start_construction"] = S.ACCEPTED  # fast-track cases only


@pytest.mark.parametrize("transition", list(TRANSITION_PERMISSIONS))
def test_only_the_owning_party_may_perform_each_transition(
    transition, roles, applicant_org, applicant, project
):
    allowed = (
        "applicant" if TRANSITION_PERMISSIONS[transition].endswith("applicant") else "operator"
    )
    state = SOURCE[transition]
    fast_track = transition == "start_construction"
    table = FAST_TRACK if fast_track else STANDARD
    sa = _case(applicant_org, applicant, project, state, fast_track=fast_track)
    also_allowed = {"lead_agency"} if transition in LEAD_REVIEW_TRANSITIONS else set()
    for role, user in roles.items():
        if role == allowed or role in also_allowed:
            continue
        # Someone who may see the case is refused (403); someone who may not see it is told
        # it does not exist (404), so ids leak nothing.
        sees = user.has_perm("applications.view_serviceapplication", sa)
        expected = PermissionDenied if sees else NotFound
        with pytest.raises(expected):
            service_application_transition(
                actor=user,
                service_application=sa,
                transition=transition,
                data=STAGE_DATA.get(transition, {}),
            )
        assert ServiceApplication.objects.get(pk=sa.pk).status == state, role
    sa = service_application_transition(
        actor=roles[allowed],
        service_application=sa,
        transition=transition,
        data=STAGE_DATA.get(transition, {}),
    )
    assert sa.status == table[(transition, state)]


def test_lead_agency_sees_its_workgroups_cases_but_not_others(
    roles, applicant_org, applicant, project
):
    sa = _case(applicant_org, applicant, project, S.SUBMITTED, fast_track=False)
    assert roles["lead_agency"].has_perm("applications.view_serviceapplication", sa)
    assert not roles["other_lead_agency"].has_perm("applications.view_serviceapplication", sa)
    assert not roles["other_applicant"].has_perm("applications.view_serviceapplication", sa)
    # At intake the workgroup's lead may send the application back; besides that it may only
    # record a counter visit, which moves nothing.
    assert transitions_available(actor=roles["lead_agency"], obj=sa) == [
        "return_for_correction",
        "record_visit",
    ]
    assert transitions_available(actor=roles["other_lead_agency"], obj=sa) == []


def test_lead_agency_return_is_recorded_for_the_bureau(roles, applicant_org, applicant, project):
    sa = _case(applicant_org, applicant, project, S.SUBMITTED, fast_track=False)
    sa = service_application_transition(
        actor=roles["lead_agency"],
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "用地批复缺页"},
    )
    assert sa.status == S.RETURNED
    change = sa.history.get(transition="return_for_correction")
    assert change.actor_organization.code == "ndrc"
    assert change.actor == roles["lead_agency"]


def test_available_transitions_match_state_and_role(roles, applicant_org, applicant, project):
    sa = _case(applicant_org, applicant, project, S.SUBMITTED, fast_track=False)
    assert transitions_available(actor=roles["operator"], obj=sa) == [
        "accept",
        "return_for_correction",
        "reject",
        "record_visit",
    ]
    assert transitions_available(actor=roles["applicant"], obj=sa) == ["withdraw"]


@pytest.mark.parametrize(
    ("transition", "missing"),
    [
        ("return_for_correction", "reason"),
        ("reject", "reason"),
        ("issue_plan", "fee_quote_cny"),
        ("fail_inspection", "inspection_result"),
        ("connect", "inspection_result"),
    ],
)
def test_stage_data_is_required_with_field_errors(
    transition, missing, applicant_org, applicant, project, operator_staff
):
    from django.core.exceptions import ValidationError

    state = SOURCE[transition]
    sa = _case(applicant_org, applicant, project, state, fast_track=False)
    data = dict(STAGE_DATA[transition])
    data.pop(missing)
    with pytest.raises(ValidationError) as caught:
        service_application_transition(
            actor=operator_staff("csg-zhongshan"),
            service_application=sa,
            transition=transition,
            data=data,
        )
    assert missing in caught.value.message_dict
    sa.refresh_from_db()
    assert sa.status == state
    assert not StateChange.objects.filter(service_application=sa).exists()


def test_negative_fee_quote_is_refused(applicant_org, applicant, project, operator_staff):
    from django.core.exceptions import ValidationError

    sa = _case(applicant_org, applicant, project, S.SURVEYING, fast_track=False)
    data = dict(STAGE_DATA["issue_plan"], fee_quote_cny="-1")
    with pytest.raises(ValidationError) as caught:
        service_application_transition(
            actor=operator_staff("csg-zhongshan"),
            service_application=sa,
            transition="issue_plan",
            data=data,
        )
    assert "fee_quote_cny" in caught.value.message_dict


def test_unknown_and_system_transitions_cannot_be_called_by_users(
    applicant_org, applicant, project, operator_staff
):
    from django.core.exceptions import ValidationError

    sa = _case(applicant_org, applicant, project, S.PERMITTING, fast_track=False)
    for name in ("permits_approved", "delete", "__init__"):
        with pytest.raises(ValidationError):
            service_application_transition(
                actor=operator_staff("csg-zhongshan"), service_application=sa, transition=name
            )


def test_status_cannot_be_assigned_directly(applicant_org, applicant, project):
    sa = _case(applicant_org, applicant, project, S.SUBMITTED, fast_track=False)
    with pytest.raises(AttributeError):
        sa.status = S.CONNECTED


def test_state_changes_are_append_only(applicant_org, applicant, project, operator_staff):
    sa = _case(applicant_org, applicant, project, S.SUBMITTED, fast_track=False)
    service_application_transition(
        actor=operator_staff("csg-zhongshan"), service_application=sa, transition="accept"
    )
    change = StateChange.objects.get(service_application=sa)
    change.comment = "rewritten"
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        change.delete()
    with pytest.raises(TypeError):
        StateChange.objects.filter(pk=change.pk).update(comment="x")
    with pytest.raises(TypeError):
        StateChange.objects.filter(pk=change.pk).delete()
