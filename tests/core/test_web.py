"""core.web: the domain errors a web view's service raises become the page a person expects
(404, 403, the message and the way back), and a service's field errors land beside the fields
of the form that was sent."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path

from core.errors import IllegalTransition, NotFound
from core.web import errors_to_form, maps_domain_errors

pytestmark = pytest.mark.urls(__name__)

FORM_PAGE = engines["django"].from_string(
    "{% for e in form.non_field_errors %}<p class=alert>{{ e }}</p>{% endfor %}"
    "{% for e in elsewhere %}<p class=elsewhere>{{ e }}</p>{% endfor %}"
    "{{ form }}"
)


class DetailsForm(forms.Form):
    capacity_kva = forms.IntegerField(label="Capacity (kVA)")
    comment = forms.CharField(required=False)


def error_page(request, message: str, status: int, /, *args, **kwargs) -> HttpResponse:
    return HttpResponse(
        f"<p role=alert>{message}</p><a href=/cases/{kwargs['case']}/>Back</a>", status=status
    )


FAILURES = {
    "missing": NotFound("No such case for you."),
    "conflict": IllegalTransition("This case was already accepted."),
    "denied": PermissionDenied("Only the operator accepts."),
    "invalid": ValidationError("Give a reason."),
}


@maps_domain_errors(error_page)
def act(request, case: str, outcome: str) -> HttpResponse:
    if outcome in FAILURES:
        raise FAILURES[outcome]
    return HttpResponse("done")


@maps_domain_errors()
def act_without_page(request, outcome: str) -> HttpResponse:
    raise FAILURES[outcome]


def _service(error):
    if error is not None:
        raise error


SERVICE_ERRORS = {
    "field": ValidationError({"capacity_kva": "Above 100 kVA the line must be 10 kV."}),
    "prefixed": ValidationError({"details.capacity_kva": "Above 100 kVA the line must be 10 kV."}),
    "whole": ValidationError({"__all__": "This request was already submitted."}),
    "keyless": ValidationError("This page is out of date."),
    "refused": IllegalTransition("Only a returned application can be corrected."),
    "elsewhere": ValidationError(
        {"documents.site_plan": "Not your document.", "details.capacity_kva": "Too large."}
    ),
}


def edit(request, case: str, error: str, prefix: str = "") -> HttpResponse:
    form = DetailsForm(request.POST)
    elsewhere: list[str] = []
    if form.is_valid():
        try:
            _service(SERVICE_ERRORS[error])
        except (ValidationError, IllegalTransition) as exc:
            rest = errors_to_form(form, exc, prefix=prefix)
            elsewhere = [message for messages in rest.values() for message in messages]
    return TemplateResponse(request, FORM_PAGE, {"form": form, "elsewhere": elsewhere})


urlpatterns = [
    path("cases/<str:case>/<str:outcome>/", act),
    path("bare/<str:outcome>/", act_without_page),
    path("edit/<str:case>/<str:error>/", edit),
    path("edit-details/<str:case>/<str:error>/", edit, {"prefix": "details."}),
]

VALID = {"capacity_kva": "250", "comment": ""}


def test_a_view_that_succeeds_is_untouched(client):
    assert client.post("/cases/c1/ok/").content == b"done"


def test_not_found_in_a_view_gives_the_404_page_without_the_services_message(client):
    response = client.post("/cases/c1/missing/")
    assert response.status_code == 404
    assert "No such case" not in response.content.decode()


def test_not_found_gives_the_404_page_even_without_an_error_page(client):
    assert client.post("/bare/missing/").status_code == 404


def test_permission_denied_gives_the_403_page(client):
    assert client.post("/cases/c1/denied/").status_code == 403


def test_an_illegal_transition_shows_its_message_and_the_way_back_with_409(client):
    response = client.post("/cases/c7/conflict/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "This case was already accepted." in html
    assert "/cases/c7/" in html


def test_input_the_view_has_no_form_for_shows_the_messages_with_200(client):
    # Refused input is no refused request: the page says why, like a form with errors.
    response = client.post("/cases/c1/invalid/")
    assert response.status_code == 200
    assert "Give a reason." in response.content.decode()


def test_without_an_error_page_a_conflict_is_not_swallowed(client):
    with pytest.raises(IllegalTransition):
        client.post("/bare/conflict/")


def test_a_field_named_by_the_service_shows_the_error_beside_that_field(client):
    response = client.post("/edit/c1/field/", VALID)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["capacity_kva"] == ["Above 100 kVA the line must be 10 kV."]
    assert not form.non_field_errors()
    html = response.content.decode()
    assert html.index("Above 100 kVA") > html.index('for="id_capacity_kva"')
    assert "class=alert" not in html


def test_a_prefixed_field_name_maps_to_the_unprefixed_field(client):
    response = client.post("/edit-details/c1/prefixed/", VALID)
    assert response.context["form"].errors["capacity_kva"] == [
        "Above 100 kVA the line must be 10 kV."
    ]


def test_without_the_prefix_a_prefixed_key_is_handed_back(client):
    response = client.post("/edit/c1/prefixed/", VALID)
    assert "capacity_kva" not in response.context["form"].errors
    assert response.context["elsewhere"] == ["Above 100 kVA the line must be 10 kV."]


@pytest.mark.parametrize("error", ["whole", "keyless", "refused"])
def test_errors_about_the_whole_input_show_above_the_form(client, error):
    response = client.post(f"/edit/c1/{error}/", VALID)
    form = response.context["form"]
    assert len(form.non_field_errors()) == 1
    assert list(form.errors) == ["__all__"]
    assert "<p class=alert>" in response.content.decode()


def test_keys_naming_no_field_of_the_form_are_handed_back_for_the_page(client):
    response = client.post("/edit-details/c1/elsewhere/", VALID)
    assert response.context["form"].errors["capacity_kva"] == ["Too large."]
    assert response.context["elsewhere"] == ["Not your document."]


def test_with_a_prefix_errors_about_the_whole_request_are_handed_back(client):
    response = client.post("/edit-details/c1/refused/", VALID)
    assert not response.context["form"].errors
    assert response.context["elsewhere"] == ["Only a returned application can be corrected."]
