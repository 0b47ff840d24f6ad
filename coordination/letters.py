"""The authorisation letter (授权委托书) template, generated as a Word document in the reader's
language, for applicants to fill in, sign, seal and upload where that document is asked."""

import io

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

_BLANK = "＿＿＿＿＿＿＿＿＿＿＿＿"

_TEXT = {
    "zh": {
        "title": "授权委托书",
        "fields": [
            "委托单位（全称）：",
            "统一社会信用代码：",
            "法定代表人：",
            "受托人姓名：",
            "受托人居民身份证号码：",
            "受托人联系电话：",
        ],
        "body": (
            "兹委托上述受托人代表本单位，在中山市市政公用服务接入联动平台办理以下事项：提交"
            "用电、用水、用气、网络、有线电视报装（接入、变更、迁移）申请，补正材料，确认"
            "供应方案及费用，签署承诺书，以及与上述事项相关的其他手续。受托人在委托权限内"
            "所办理的事项，本单位均予以承认并承担相应的法律责任。"
        ),
        "period": "委托期限：自＿＿＿＿年＿＿月＿＿日至＿＿＿＿年＿＿月＿＿日。",
        "sign": [
            "委托单位（盖章）：",
            "法定代表人（签字）：",
            "受托人（签字）：",
            "日期：＿＿＿＿年＿＿月＿＿日",
        ],
        "note": "附：法定代表人及受托人居民身份证复印件。",
    },
    "en": {
        "title": "Power of attorney (授权委托书)",
        "fields": [
            "Company (full name): ",
            "Unified social credit code: ",
            "Legal representative: ",
            "Authorised person: ",
            "Authorised person's ID-card number: ",
            "Authorised person's telephone: ",
        ],
        "body": (
            "We authorise the person named above to act for our company on the Zhongshan "
            "utility-connection portal: to file requests for electricity, water, gas, network "
            "and cable TV (new connection, change, relocation), to answer correction requests, "
            "to confirm supply plans and fees, to sign commitments, and to complete any other "
            "step of these requests. We acknowledge everything the authorised person does "
            "within this authority and bear the legal responsibility for it."
        ),
        "period": "Valid from ____-__-__ to ____-__-__.",
        "sign": [
            "Company seal: ",
            "Legal representative (signature): ",
            "Authorised person (signature): ",
            "Date: ____-__-__",
        ],
        "note": "Attach copies of the ID cards of the legal representative and the authorised "
        "person.",
    },
}


def authorisation_letter_docx(language: str) -> bytes:
    """The template in Chinese (`zh...`) or English (anything else), as .docx bytes."""
    text = _TEXT["zh" if language.lower().startswith("zh") else "en"]
    doc = WordDocument()
    doc.core_properties.title = text["title"]
    heading = doc.add_heading(text["title"], level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for label in text["fields"]:
        doc.add_paragraph(f"{label}{_BLANK}")
    body = doc.add_paragraph(text["body"])
    body.paragraph_format.first_line_indent = Pt(24)
    doc.add_paragraph(text["period"])
    for label in text["sign"]:
        doc.add_paragraph(f"{label}{_BLANK}" if not label.rstrip().endswith("__") else label)
    doc.add_paragraph(text["note"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
