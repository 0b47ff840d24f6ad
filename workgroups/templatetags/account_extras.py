"""Who is signed in, for the header of every page: the person and their organisation."""

from dataclasses import dataclass

from django import template
from django.utils.translation import get_language

from ..constants import STAFF_KINDS, MemberRole, OrganizationKind
from ..models import Membership
from ..selectors import is_staff_member

register = template.Library()


@dataclass(frozen=True)
class SignedIn:
    name: str
    organization: str
    staff: bool
    # The staff nav's access-log link; the page itself checks with `access_log_scope`.
    reads_access_log: bool = False


@register.simple_tag(takes_context=True)
def signed_in(context) -> SignedIn | None:
    """The signed-in person's name, organisation (in the page's language) and whether they
    work on the staff site; worked out once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(request, "_signed_in", None)
    if cached is not None:
        return cached
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("created_at", "pk")
        .first()
    )
    organization = ""
    reads_access_log = user.is_superuser
    if membership is not None:
        org = membership.organization
        # From the membership already read (no query): a person of the portal belongs to one
        # organisation; the page asks again for the rare person in several.
        reads_access_log = reads_access_log or (
            org.kind in STAFF_KINDS
            and (
                org.kind == OrganizationKind.LEADERSHIP_OFFICE
                or membership.role == MemberRole.MANAGER
            )
        )
        english = not (get_language() or "").startswith("zh")
        organization = (org.name_en if english and org.name_en else org.name_zh) or ""
    answer = SignedIn(
        name=user.get_full_name() or user.get_username(),
        organization=organization,
        staff=is_staff_member(user),
        reads_access_log=reads_access_log,
    )
    request._signed_in = answer
    return answer
