"""The decision package as a printable PDF (ReportLab): bilingual labels, the Chinese font
embedded (settings.PDF_CJK_FONT_FILE), a QR code and short code leading to its public
verification page. Signing is core/pdf_signing.py's work, after rendering."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

FONT = "PortalCJK"


@lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, settings.PDF_CJK_FONT_FILE, subfontIndex=0))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, textColor=colors.grey),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=10),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "—")).replace("\n", "<br/>"), style)


def _qr(url: str, size: float = 28 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _table(rows: list[list[Flowable]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _fee(utility: dict) -> str:
    fee = utility["fee_quote_cny"] or "0"
    confirmed = utility.get("fee_confirmed_at")
    if not confirmed:
        return fee
    return f"{fee} · 申请人已于 {confirmed[:10]} 确认 confirmed by the applicant"


def render_package_pdf(
    content: dict[str, Any], *, short_code: str, number: int, issued_at: str, verify_url: str
) -> bytes:
    """The package's pages (unsigned)."""
    s = _styles()
    label_width, value_width = 42 * mm, 128 * mm
    story: list[Flowable] = [
        _p("市政公用服务接入统一出件", s["title"]),
        _p("Utility connection decision package", s["subtitle"]),
        Spacer(1, 4 * mm),
    ]
    project, applicant = content["project"], content["applicant"]
    head = [
        ("核验码 Verification code", short_code),
        ("版本 Issue", f"{number} · {issued_at}"),
        ("项目代码 Project code", project["code"]),
        ("项目名称 Project", project["name"]),
        ("地址 Address", f"{project['town']} {project['address']}"),
        ("申请单位 Applicant", applicant["name"]),
        ("统一社会信用代码 USCC", applicant["unified_social_credit_code"]),
        ("申请编号 Request", content["request"]),
        ("费用合计 Total fees (CNY)", content["fee_total_cny"]),
    ]
    head_rows = [[_p(k, s["body"]), _p(v, s["body"])] for k, v in head]
    story.append(
        Table(
            [[_table(head_rows, [label_width, 92 * mm]), _qr(verify_url)]],
            colWidths=[136 * mm, 34 * mm],
            hAlign="LEFT",
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        )
    )
    for utility in content["utilities"]:
        label = utility["utility_label"]
        story.append(_p(f"{label['zh']} {label['en']}", s["h2"]))
        permits = "\n".join(
            f"{p['label']['zh']} ({p['label']['en']}) — {p['agency']}" for p in utility["permits"]
        )
        rows = [
            ("供应单位 Operator", utility["operator"]["name"]),
            ("勘查结论 Survey", utility["survey_result"]),
            ("接入方案 Connection plan", utility["plan"]),
            ("费用 Fee (CNY)", _fee(utility)),
            ("外线审批 Permits", permits or _no_own_permits(utility)),
        ]
        story.append(
            _table(
                [[_p(k, s["body"]), _p(v, s["body"])] for k, v in rows], [label_width, value_width]
            )
        )
    if content["joint_works"]:
        story.append(_p("联合施工 Joint works", s["h2"]))
        for plan in content["joint_works"]:
            story.append(_p(plan.get("summary", ""), s["body"]))
            for permit in plan.get("permits", []):
                label = permit["label"]
                story.append(
                    _p(f"· {label['zh']} ({label['en']}) — {permit['agency']}", s["small"])
                )
    story.append(_p("尚未兑现的承诺 Commitments still open", s["h2"]))
    if content["open_commitments"]:
        story.append(
            _table(
                [
                    [
                        _p(f"{c['label']['zh']}\n{c['label']['en']}", s["body"]),
                        _p(
                            c["statement"]
                            + (f"\n到期日 Due by {c['due_on']}" if c.get("due_on") else ""),
                            s["body"],
                        ),
                    ]
                    for c in content["open_commitments"]
                ],
                [label_width, value_width],
            )
        )
    else:
        story.append(_p("无 None", s["body"]))
    story += [
        Spacer(1, 6 * mm),
        _p(
            "本文件由平台电子签章（PAdES）。扫描二维码或访问以下地址输入核验码，可核验其真实性与是否为最新版本。"
            "\nSigned electronically by the platform (PAdES). Scan the QR code or open the address"
            " below and enter the verification code to check that it is genuine and current.",
            s["small"],
        ),
        _p(verify_url, s["small"]),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"统一出件 {project['code']} #{number}",
        author=settings.PDF_SIGNING_SELF_SIGNED_NAME,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()


def _no_own_permits(utility: dict) -> str:
    """What the permits row says for a utility without permits of its own."""
    if utility.get("joint_works"):
        return "由联合施工统一办理（见下文）\nPermits of the joint plan, below"
    return "无需外线审批 None required"
