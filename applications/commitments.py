"""The wording of the commitment (承诺制) an applicant signs instead of a document.

The wording is data (`CommitmentText`, versioned): a signed commitment keeps the version it was
signed under. `FIRST_WORDING` is the wording the portal started with; the data migration
`0014_commitment_text` holds a frozen copy of it, and `commitment_text_seed` puts it back into a
database that lost it (tests that flush).
"""

import datetime as dt
from typing import Any

DOCUMENT_COMMITMENT = "document"
# In force since the policy (2024-05-29): every request the portal ever took was under it.
FIRST_EFFECTIVE = dt.datetime(2024, 5, 29, tzinfo=dt.timezone(dt.timedelta(hours=8)))

FIRST_WORDING: dict[str, Any] = {
    "code": DOCUMENT_COMMITMENT,
    "version": 1,
    "text_zh": (
        "我方承诺所填报信息真实有效，并将于开工前提供{document}；如未按承诺提供，愿承担相应责任。"
    ),
    "text_en": (
        "We undertake that the information given is true and that we will provide the "
        "{document} before construction starts, accepting the consequences if we do not."
    ),
    "due_point_zh": "外线工程开工前（运营单位开始施工之前）",
    "due_point_en": "Before the outside-line works start (before the operator starts construction)",
    "consequences_zh": (
        "未按期提供的，该项接入不进入施工，直至补齐材料；承诺内容不实的，依据承诺作出的受理和"
        "审批决定可予撤销，并按规定记入申请单位的信用记录。"
    ),
    "consequences_en": (
        "If the document is not provided by then, the connection does not go into construction "
        "until it is; if the commitment proves untrue, the acceptance and approvals given on its "
        "strength may be revoked and the breach is recorded in the applicant's credit record."
    ),
}
