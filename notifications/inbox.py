"""The inbox as the reader sees it: each message in the reader's language (from its code and
parameters, notifications/texts.py), identical lines grouped, and the links to what it is about."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from applications.constants import Utility
from coordination.selectors.notices import published_notice
from coordination.services import policy_notice_read

from .models import Delivery
from .texts import Text, render


def message_text(message: Delivery) -> Text:
    """The message in the active language; a row without a (known) code shows its stored text."""
    return render(message.code, message.params) or Text(message.subject, message.body)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    kind: str  # "request", "utility" or "page"


def message_links(message: Delivery, *, staff: bool) -> list[Link]:
    """Where the message leads: its request and its utility (on the staff case page for staff,
    on the tracking page for the applicant), or the page it is about."""
    params = message.params or {}
    links: list[Link] = []
    request = params.get("request")
    case_url = ""
    if request:
        name = "staff:case" if staff else "applications:request_detail"
        case_url = reverse(name, args=[request])
        reference = params.get("reference", "")
        links.append(Link(_("Request %(ref)s") % {"ref": reference}, case_url, "request"))
        utility = params.get("utility")
        if params.get("item") and utility:
            label = str(Utility(utility).label) if utility in Utility.values else utility
            links.append(
                Link(
                    _("%(utility)s in this request") % {"utility": label},
                    f"{case_url}#u-{params['item']}",
                    "utility",
                )
            )
    text = render(message.code, params)
    if text is not None and text.path and not (case_url and text.path.startswith(case_url)):
        links.append(Link(_("Open the page it is about"), text.path, "page"))
    return links


@dataclass
class InboxLine:
    """One line of the inbox: a message and the identical ones grouped with it (×n)."""

    message: Delivery  # the newest of the group
    subject: str
    body: str
    messages: list[Delivery] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def unread(self) -> bool:
        return any(m.read_at is None for m in self.messages)

    @property
    def unread_ids(self) -> list[int]:
        return [m.pk for m in self.messages if m.read_at is None]


def inbox_lines(messages: list[Delivery]) -> list[InboxLine]:
    """The page's messages, newest first, each text once: a message that reads exactly like
    one above it (in the reader's language) joins that line, which counts them."""
    lines: dict[tuple[str, str], InboxLine] = {}
    for message in messages:
        text = message_text(message)
        key = (text.subject, text.body)
        line = lines.get(key)
        if line is None:
            line = lines[key] = InboxLine(message=message, subject=text.subject, body=text.body)
        line.messages.append(message)
    return list(lines.values())


def notice_read_from_inbox(user, message: Delivery) -> None:
    """A policy notice opened in the inbox counts as read by the reader's company, as on its
    page (the awareness rate)."""
    if message.code != "policy_notice.published":
        return
    notice = published_notice(uuid=(message.params or {}).get("notice"))
    if notice is not None:
        policy_notice_read(user=user, notice=notice)
