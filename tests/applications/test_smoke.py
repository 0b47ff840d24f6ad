from applications.constants import ServiceStatus
from applications.services import service_application_transition


def test_smoke(submit, applicant, operator_staff):
    combined = submit(["electricity", "water", "gas", "network", "cable_tv"])
    services = list(combined.services.all())
    assert len(services) == 5
    sa = combined.services.get(utility="electricity")
    op = operator_staff("csg-zhongshan")
    for name, data in [
        ("accept", {}),
        ("start_survey", {}),
        ("issue_plan", {"survey_result": "ok site", "plan": "10kV line", "fee_quote_cny": "0", "required_permits": ["planning", "road_excavation"]}),
    ]:
        sa = service_application_transition(actor=op, service_application=sa, transition=name, data=data)
    sa = service_application_transition(actor=applicant, service_application=sa, transition="confirm_plan")
    assert sa.status == ServiceStatus.PERMITTING
    assert sa.permits.count() == 2
