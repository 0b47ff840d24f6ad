"""A meeting's minutes as PDF and as Word (会议纪要): title, when and where, who convened and
who was invited, the agenda, the minutes, the decisions and the action items with their owners
and due days. The PDF uses reportlab's built-in CJK font (STSong-Light, a CID font every PDF
reader has), so Chinese renders without shipping a font file."""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document as WordDocument
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer

from applications.templatetags.applicant_extras import localname

from .models import Meeting

CJK_FONT = "STSong-Light"


@dataclass(frozen=True)
class Minutes:
    """What both documents say, in the reader's language."""

    title: str
    facts: list[tuple[str, str]]
    agenda: list[str]
    minutes: list[str]
    decisions: list[str]
    actions: list[str]


def minutes_of(meeting: Meeting) -> Minutes:
    """The minutes of a meeting read with its agenda, invitations and action items prefetched
    (coordination.selectors.meetings.meeting_for_staff)."""
    local = timezone.localtime(meeting.starts_at)
    facts = [
        (_("Date and time"), f"{local:%Y-%m-%d %H:%M}"),
        (_("Place"), meeting.place),
        (
            _("Workgroup"),
            localname(meeting.workgroup) if meeting.workgroup else _("Across workgroups"),
        ),
        (_("Convened by"), localname(meeting.organizer)),
        (_("Invited"), "、".join(localname(org) for org in meeting.invited.all()) or "—"),
        (_("Status"), str(meeting.get_status_display())),
    ]
    actions = [
        _("%(description)s — owner: %(owner)s; due %(day)s; %(status)s")
        % {
            "description": item.description,
            "owner": localname(item.owner),
            "day": f"{item.due_day:%Y-%m-%d}",
            "status": item.get_status_display(),
        }
        for item in meeting.action_items.all()
    ]
    return Minutes(
        title=meeting.title,
        facts=facts,
        agenda=[item.text for item in meeting.agenda.all()],
        minutes=[p for p in meeting.minutes.splitlines() if p.strip()],
        decisions=[d for d in meeting.decisions.splitlines() if d.strip()],
        actions=actions,
    )


def _font() -> str:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def minutes_pdf(meeting: Meeting) -> bytes:
    doc = minutes_of(meeting)
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    heading = ParagraphStyle("h2", parent=body, fontSize=13, leading=20, spaceBefore=8)
    title = ParagraphStyle("h1", parent=body, fontSize=16, leading=24, alignment=1)

    def para(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def numbered(lines: list[str]) -> list:
        if not lines:
            return [para("—")]
        return [ListFlowable([para(line) for line in lines], bulletType="1", bulletFontName=font)]

    story: list = [para(doc.title, title), Spacer(1, 4 * mm)]
    story += [para(f"{label}：{value}") for label, value in doc.facts]
    story += [para(_("Agenda"), heading), *numbered(doc.agenda)]
    story += [para(_("Minutes"), heading)]
    story += [para(p) for p in doc.minutes] or [para("—")]
    story += [para(_("Decisions"), heading), *numbered(doc.decisions)]
    story += [para(_("Action items"), heading), *numbered(doc.actions)]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=doc.title,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return out.getvalue()


def minutes_docx(meeting: Meeting) -> bytes:
    doc = minutes_of(meeting)
    word = WordDocument()
    word.core_properties.title = doc.title
    word.add_heading(doc.title, level=1)
    for label, value in doc.facts:
        word.add_paragraph(f"{label}：{value}")
    sections = (
        (_("Agenda"), doc.agenda, "List Number"),
        (_("Minutes"), doc.minutes, None),
        (_("Decisions"), doc.decisions, "List Number"),
        (_("Action items"), doc.actions, "List Number"),
    )
    for heading, lines, style in sections:
        word.add_heading(heading, level=2)
        for line in lines or ["—"]:
            word.add_paragraph(line, style=style if lines else None)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
