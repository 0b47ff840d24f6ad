"""Sign-up of applicants (a company or a person) and colleague invitations.

An applicant always acts through an Organization of kind applicant_company: a person who signs
up alone gets a one-person organisation, so projects, requests and permissions work the same way.
The login name is the mobile number (what people in Zhongshan expect to type).
"""

import uuid
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .constants import MemberRole, OrganizationKind
from .identity import company_dispute_open, company_identity_start
from .models import Membership, Organization, User
from .services import membership_add, organization_upsert
from .validators import normalize_mobile, normalize_uscc, validate_mobile, validate_uscc


class RegistrationError(ValidationError):
    """Field-keyed problems the person signing up can fix (shown next to each field)."""


class AccountExists(RegistrationError):
    """The mobile number already has an account (`owner`, None if it cannot be read). A manager
    inviting a colleague is told so; the public sign-up page is not (workgroups/views.py)."""

    def __init__(self, owner: User | None) -> None:
        super().__init__({"mobile": _("An account with this mobile number already exists.")})
        self.owner = owner


def _new_user(*, mobile: str, full_name: str, email: str, password: str | None) -> User:
    mobile = normalize_mobile(mobile)
    validate_mobile(mobile)
    if (owner := User.objects.filter(username=mobile).first()) is not None:
        raise AccountExists(owner)
    user = User(username=mobile, mobile=mobile, first_name=full_name.strip(), email=email.strip())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same number won
        raise AccountExists(User.objects.filter(username=mobile).first()) from exc
    return user


def _company_code(uscc: str) -> str:
    """The new company's organisation code: `uscc-<code>` unless that is taken (by a company
    detached from the code after a dispute, say), then a random one; never an existing row."""
    code = f"uscc-{uscc.lower()}"
    if Organization.objects.filter(code=code).exists():
        code = f"company-{uuid.uuid4().hex[:16]}"
    return code


@transaction.atomic
def applicant_company_register(
    *,
    company_name: str,
    unified_social_credit_code: str,
    contact_name: str,
    mobile: str,
    email: str,
    password: str,
) -> User:
    """Create the company, its first user (a manager of it) and the membership, or nothing.

    The company is unverified until the registry's data or a reviewed business licence proves
    it holds its code (workgroups/identity.py); registry data pushed before it registered
    verifies it now. A code another company registered first is not refused: the new account
    gets a company of its own, disputed, and staff of the company registry decide who holds
    the code (both are told).
    """
    uscc = normalize_uscc(unified_social_credit_code)
    validate_uscc(uscc)
    user = _new_user(mobile=mobile, full_name=contact_name, email=email, password=password)
    holder = (
        Organization.objects.select_for_update()
        .filter(unified_social_credit_code=uscc)
        .order_by("pk")
        .first()
    )
    try:
        with transaction.atomic():
            organization = organization_upsert(
                code=_company_code(uscc),
                name_zh=company_name.strip(),
                name_en="",
                kind=OrganizationKind.APPLICANT_COMPANY,
                unified_social_credit_code=uscc if holder is None else "",
            )
    except IntegrityError as exc:  # the same code registered at this very moment
        raise RegistrationError(
            {
                "unified_social_credit_code": _(
                    "This code was registered at the same moment. Please send the form again."
                )
            }
        ) from exc
    membership_add(user=user, organization=organization, role=MemberRole.MANAGER)
    if holder is None:
        company_identity_start(organization=organization, credit_code=uscc)
    else:
        company_identity_start(organization=organization, credit_code=uscc, match_registry=False)
        company_dispute_open(
            holder=holder, claimant=organization, claimant_user=user, credit_code=uscc
        )
    return user


@transaction.atomic
def applicant_person_register(*, full_name: str, mobile: str, email: str, password: str) -> User:
    """A resident applying for their own home: a one-person applicant organisation."""
    user = _new_user(mobile=mobile, full_name=full_name, email=email, password=password)
    organization = organization_upsert(
        code=f"person-{uuid.uuid4().hex[:16]}",
        name_zh=full_name.strip(),
        name_en="",
        kind=OrganizationKind.APPLICANT_COMPANY,
    )
    membership_add(user=user, organization=organization, role=MemberRole.MANAGER)
    return user


@transaction.atomic
def colleague_invite(
    *,
    actor: User,
    organization: Organization,
    full_name: str,
    mobile: str,
    email: str,
    notify: Callable[[User], None] | None = None,
) -> User:
    """A manager of an applicant company adds a colleague, who sets a password from the email.

    `notify` (sending the invitation) runs only after the transaction commits.
    """
    is_manager = Membership.objects.filter(
        user=actor, organization=organization, role=MemberRole.MANAGER
    ).exists()
    if not is_manager or organization.kind != OrganizationKind.APPLICANT_COMPANY:
        raise PermissionDenied(_("Only a manager of the company may invite colleagues."))
    user = _new_user(mobile=mobile, full_name=full_name, email=email, password=None)
    membership_add(user=user, organization=organization, role=MemberRole.STAFF)
    if notify is not None:
        transaction.on_commit(lambda: notify(user))
    return user
