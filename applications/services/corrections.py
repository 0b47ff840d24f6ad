"""Answering a correction request (补正): fix only what was asked, resubmit only that utility."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from workgroups.models import User

from ..constants import DocumentType, ServiceStatus
from ..models import Document, DocumentLink, ServiceApplication
from ..registry import UTILITIES, clean_details
from ..workflow import SERVICE
from .transitions import service_application_transition


@transaction.atomic
def service_application_correct(
    *,
    actor: User,
    service_application: ServiceApplication,
    details: dict | None = None,
    documents: dict[str, Document] | None = None,
    comment: str = "",
) -> ServiceApplication:
    """Update a returned application's details and/or documents, then resubmit it.

    Only this utility changes: a document shared with other utilities is re-linked for this
    one only. Everything is validated first (errors keyed `details.<field>` and
    `documents.<type>`), then saved together with the resubmission, or nothing is.
    """
    documents = documents or {}
    sa = (
        ServiceApplication.objects.select_for_update(of=("self",))
        .select_related("combined__applicant")
        .get(pk=service_application.pk)
    )
    if not actor.has_perm("applications.view_serviceapplication", sa):
        raise NotFound(_("No such application."))
    if not SERVICE.may(actor, "resubmit", sa):
        raise PermissionDenied(_("You may not perform this action on this application."))
    if sa.status != ServiceStatus.RETURNED:
        raise IllegalTransition(_("Only an application returned for correction can be corrected."))

    errors: dict[str, list[str]] = {}
    cleaned = None
    if details is not None:
        try:
            cleaned = clean_details(sa.utility, details)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"details.{name}"] = messages
    if cleaned is not None:
        for name in UTILITIES[sa.utility].fixed_details:
            if cleaned.get(name) != sa.details.get(name):
                errors[f"details.{name}"] = [
                    _("This cannot change in a correction; withdraw and file a new request.")
                ]
    allowed = UTILITIES[sa.utility].documents
    applicant_id = sa.combined.applicant_id
    for doc_type, document in documents.items():
        if doc_type not in allowed or document.owner_id != applicant_id:
            errors[f"documents.{doc_type}"] = [_("This document does not belong to this request.")]
        elif document.doc_type != doc_type:
            errors[f"documents.{doc_type}"] = [_("This is a different kind of document.")]
    if errors:
        raise ValidationError(errors)

    changed: list[str] = []
    if cleaned is not None and cleaned != sa.details:
        changed = sorted(
            k for k in set(cleaned) | set(sa.details) if cleaned.get(k) != sa.details.get(k)
        )
        sa.details = cleaned
        fields = ["details", "updated_at"]
        if sa.returned_from in ("", ServiceStatus.SUBMITTED):
            # Not yet accepted: the stage plan follows the corrected details.
            plan = UTILITIES[sa.utility].stage_plan(cleaned).fields()
            for name, value in plan.items():
                setattr(sa, name, value)
            fields += list(plan)
        sa.save(update_fields=fields)
    replaced = []
    for doc_type, document in sorted(documents.items()):
        link, created = DocumentLink.objects.get_or_create(
            service_application=sa, doc_type=doc_type, defaults={"document": document}
        )
        if not created and link.document_id != document.pk:
            link.document = document
            link.save(update_fields=["document"])
        if created or link.document_id == document.pk:
            replaced.append(doc_type)
    summary = []
    if changed:
        form_fields = UTILITIES[sa.utility].details_form.base_fields
        labels = [str(form_fields[k].label) if k in form_fields else k for k in changed]
        summary.append(_("Details changed: %s") % _list(labels))
    if replaced:
        labels = [str(DocumentType(t).label) for t in replaced if t in DocumentType.values]
        summary.append(_("Documents provided: %s") % _list(labels))
    full_comment = "\n".join([comment.strip(), *summary]).strip()
    return service_application_transition(
        actor=actor, service_application=sa, transition="resubmit", comment=full_comment
    )


def _list(items: list[str]) -> str:
    # A list separator that reads right in the active language (、 in Chinese).
    return _(", ").join(items)
