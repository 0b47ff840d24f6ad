"""Sign-up of applicants (a company or a person) and colleague invitations.

An applicant always acts through an Organization of kind applicant_company: a person who signs
up alone gets a one-person organisation, so projects, requests and permissions work the same way.
The login name is the mobile number (what people in Zhongshan expect to type).

The public sign-up pages go in two steps (`signup_start`, then `signup_complete` once the code
sent by SMS is typed: notifications/signup.py), so that they answer the same whether or not the
number has an account. `applicant_*_register` create an active account at once (tests, tools).
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .constants import MemberRole, OrganizationKind
from .identity import company_dispute_open, company_identity_start
from .models import Membership, Organization, PendingSignup, User
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
    # A public sign-up still waiting for its code does not hold the number against an account
    # created for real (an invitation, say): it is dropped.
    User.objects.filter(username=mobile, is_active=False, pending_signup__isnull=False).delete()
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
    _company_of(user, company_name=company_name, uscc=uscc)
    return user


def _company_of(user: User, *, company_name: str, uscc: str) -> Organization:
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
    return organization


@transaction.atomic
def applicant_person_register(*, full_name: str, mobile: str, email: str, password: str) -> User:
    """A resident applying for their own home: a one-person applicant organisation."""
    user = _new_user(mobile=mobile, full_name=full_name, email=email, password=password)
    _person_of(user)
    return user


def _person_of(user: User) -> Organization:
    organization = organization_upsert(
        code=f"person-{uuid.uuid4().hex[:16]}",
        name_zh=user.first_name,
        name_en="",
        kind=OrganizationKind.APPLICANT_COMPANY,
    )
    membership_add(user=user, organization=organization, role=MemberRole.MANAGER)
    return organization


# A public sign-up not confirmed with its SMS code within this time is void; its number is free.
PENDING_SIGNUP_TTL = dt.timedelta(hours=24)


@dataclass(frozen=True)
class SignupStart:
    """What a public sign-up did. Exactly one of `pending` (a free number: an inactive account
    waits for the code) and `owner` (the number's account: nothing was created) is set; the
    page answers the same either way."""

    mobile: str
    pending: User | None = None
    owner: User | None = None


def _pending_user(mobile: str) -> User | None:
    return (
        User.objects.select_for_update()
        .filter(username=mobile, is_active=False, pending_signup__isnull=False)
        .first()
    )


@transaction.atomic
def signup_start(
    *,
    kind: str,
    mobile: str,
    full_name: str,
    email: str,
    password: str,
    details: dict | None = None,
    now: dt.datetime | None = None,
) -> SignupStart:
    """The first step of a public sign-up (company or person). A free number gets an inactive
    account waiting for the SMS code (`signup_complete` then creates its organisation); an
    earlier unconfirmed sign-up with the number, expired or not, is replaced in place (so its
    codes' resend pause and daily limit still count). A number with an account creates
    nothing: the caller tells its owner and answers exactly as for a free number."""
    now = now or timezone.now()
    mobile = normalize_mobile(mobile)
    validate_mobile(mobile)
    user = _pending_user(mobile)
    if user is None:
        if (owner := User.objects.filter(username=mobile).first()) is not None:
            make_password(password)  # as long as a real sign-up takes: time tells nothing
            return SignupStart(mobile=mobile, owner=owner)
        user = User(username=mobile, mobile=mobile, is_active=False)
    user.first_name, user.email = full_name.strip(), email.strip()
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent sign-up with the same number won
        return SignupStart(mobile=mobile, owner=User.objects.filter(username=mobile).first())
    PendingSignup.objects.update_or_create(
        user=user,
        defaults={
            "kind": kind,
            "details": details or {},
            "created_at": now,
            "expires_at": now + PENDING_SIGNUP_TTL,
        },
    )
    return SignupStart(mobile=mobile, pending=user)


def signup_pending(*, user_id: int | None, now: dt.datetime | None = None) -> User | None:
    """The inactive account of a sign-up still waiting for its code (None once expired)."""
    if user_id is None:
        return None
    return User.objects.filter(
        pk=user_id,
        is_active=False,
        pending_signup__expires_at__gt=now or timezone.now(),
    ).first()


@transaction.atomic
def signup_complete(*, user: User, now: dt.datetime | None = None) -> User:
    """The code was right: the account becomes active and gets its organisation (the company,
    with its identity and any credit-code dispute, or a one-person organisation)."""
    pending = PendingSignup.objects.select_for_update().select_related("user").get(user=user)
    if pending.expires_at <= (now or timezone.now()) or pending.user.is_active:
        raise RegistrationError(_("This sign-up has expired. Please sign up again."))
    if pending.kind == PendingSignup.KIND_COMPANY:
        uscc = normalize_uscc(pending.details.get("unified_social_credit_code", ""))
        validate_uscc(uscc)
        _company_of(user, company_name=pending.details.get("company_name", ""), uscc=uscc)
    else:
        _person_of(user)
    pending.delete()
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    return user


def pending_signups_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the accounts of sign-ups never confirmed in time (their numbers are free)."""
    _total, per_model = User.objects.filter(
        is_active=False, pending_signup__expires_at__lte=now or timezone.now()
    ).delete()
    return per_model.get(User._meta.label, 0)


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
