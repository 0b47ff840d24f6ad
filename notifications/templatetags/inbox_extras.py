"""The header's unread count: one query per request, remembered on the request."""

from django import template

from ..selectors import inbox_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_inbox_unread", None)
    if cached is None:
        cached = request._inbox_unread = inbox_unread_count(user=user)
    return cached
