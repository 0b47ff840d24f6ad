"""Domain errors on web pages, mapped once (the API's counterpart is core/api/handler.py).

- `maps_domain_errors(page)` decorates a function view: NotFound becomes the 404 page;
  PermissionDenied is left to Django's 403 page; IllegalTransition and any other DomainError,
  become `page(...)` with the error's status (409); a ValidationError the view has no form for
  becomes `page(...)` with 200, like a form that comes back with errors (the page shows the
  message in its error summary).
- `errors_to_form(form, exc)` puts a service's errors on the bound form the input came from,
  for the view to render again with each message beside its field.
"""

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Protocol

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse

from .errors import DomainError, NotFound

__all__ = ["ErrorPage", "errors_to_form", "maps_domain_errors"]

_NON_FIELD_KEYS = (NON_FIELD_ERRORS, "non_field_errors")


class ErrorPage(Protocol):
    """Renders what went wrong: the message, the HTTP status, and the view's own arguments
    (so the page can name the object and the way back)."""

    def __call__(
        self, request: HttpRequest, message: str, status: int, /, *args, **kwargs
    ) -> HttpResponse: ...


View = Callable[..., HttpResponse]


def maps_domain_errors(page: ErrorPage | None = None) -> Callable[[View], View]:
    """Decorate a function view so the domain errors its service raises become pages.

    NotFound -> Http404 (the 404 page, never a hint that the object exists).
    IllegalTransition (409) and other DomainErrors (their status_code) -> `page`.
    ValidationError not caught by the view (input without a form to show it on) -> `page`
    with status 200 and its messages joined, for its error summary. Without a `page`, these
    propagate.
    PermissionDenied is not caught: Django renders its 403 page.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                if page is None:
                    raise
                return page(request, exc.message, exc.status_code, *args, **kwargs)
            except ValidationError as exc:
                if page is None:
                    raise
                return page(request, " ".join(exc.messages), HTTPStatus.OK, *args, **kwargs)

        return wrapper

    return decorate


def errors_to_form(
    form: BaseForm, exc: ValidationError | DomainError, *, prefix: str = ""
) -> dict[str, list[str]]:
    """Put a service's errors on the bound `form` whose input it refused.

    A key naming one of the form's fields becomes that field's error, `__all__` (or
    `non_field_errors`) the form's own; a ValidationError without keys and a DomainError's
    message are the form's own too. With `prefix` (services key nested input `details.<field>`)
    only the keys that start with it are the form's, read without it. Whatever is not the
    form's is returned by key, for the page to show elsewhere.
    """
    if isinstance(exc, DomainError):
        errors: dict[str, list[ValidationError]] = {
            NON_FIELD_ERRORS: [ValidationError(exc.message)]
        }
    elif hasattr(exc, "error_dict"):
        errors = exc.error_dict
    else:
        errors = {NON_FIELD_ERRORS: exc.error_list}
    rest: dict[str, list[str]] = {}
    for key, error_list in errors.items():
        name = key.removeprefix(prefix) if key.startswith(prefix) else None
        if name is not None and name in form.fields:
            form.add_error(name, error_list)
        elif name in _NON_FIELD_KEYS:
            form.add_error(None, error_list)
        else:
            rest[key] = [message for error in error_list for message in error.messages]
    return rest
