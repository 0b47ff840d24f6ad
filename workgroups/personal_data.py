"""What the portal holds about an applicant company in this app (PIPL art. 45 export,
portal/personal_data.py): the company record, its verification, and the people acting for it.
A constant number of queries whatever the company's size."""

from django.db.models import Q

from core.records import DataSection, record

from .models import (
    CompanyDispute,
    CompanyIdentity,
    CompanyIdentityEvent,
    Membership,
    Organization,
    PersonIdentity,
)


def company_personal_data(*, organization: Organization) -> DataSection:
    """The company, its verification and history, its members, and a person's ID (masked)."""
    company = record(
        organization,
        [
            "uuid",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "unified_social_credit_code",
            "is_active",
            "created_at",
        ],
    )
    identity = (
        CompanyIdentity.objects.filter(organization=organization)
        .select_related("registry_record")
        .first()
    )
    identities = (
        [
            record(
                identity,
                [
                    "credit_code",
                    "status",
                    "verified_via",
                    "verified_at",
                    "review_requested_at",
                    "last_reason",
                    ("registry_credit_code", "registry_record.credit_code"),
                    ("registry_name", "registry_record.name"),
                    ("registry_legal_representative", "registry_record.legal_representative"),
                    "updated_at",
                ],
            )
        ]
        if identity is not None
        else []
    )
    events = [
        record(
            event,
            ["name", "from_state", "to_state", "credit_code", "reason", "at"],
        )
        for event in CompanyIdentityEvent.objects.filter(organization=organization).order_by(
            "at", "pk"
        )
    ]
    # The other company of a dispute is not this company's data: only this side of it.
    disputes = [
        {
            **record(
                dispute,
                ["uuid", "credit_code", "status", "opened_at", "decided_for", "decided_at"],
            ),
            "side": "holder" if dispute.holder_id == organization.pk else "claimant",
            "reason": dispute.reason,
        }
        for dispute in CompanyDispute.objects.filter(
            Q(holder=organization) | Q(claimant=organization)
        ).order_by("opened_at", "pk")
    ]
    members = [
        record(
            membership,
            [
                ("user_uuid", "user.uuid"),
                ("username", "user.username"),
                ("first_name", "user.first_name"),
                ("last_name", "user.last_name"),
                ("email", "user.email"),
                ("mobile", "user.mobile"),
                ("mobile_confirmed_at", "user.mobile_confirmed_at"),
                ("preferred_language", "user.preferred_language"),
                ("is_active", "user.is_active"),
                ("date_joined", "user.date_joined"),
                ("last_login", "user.last_login"),
                "role",
                ("member_since", "created_at"),
            ],
        )
        for membership in Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("created_at", "pk")
    ]
    # Shown masked, as everywhere in the portal: the archive may travel further than the page.
    person = PersonIdentity.objects.filter(organization=organization).first()
    persons = (
        [
            {
                "id_number_masked": person.masked_id_number,
                "updated_at": record(person, ["updated_at"])["updated_at"],
            }
        ]
        if person is not None
        else []
    )
    return DataSection(
        tables={
            "company": [company],
            "verification": identities,
            "verification_history": events,
            "credit_code_disputes": disputes,
            "members": members,
            "person_identity": persons,
        }
    )
