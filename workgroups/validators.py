"""Validators for the identifiers applicants type: 统一社会信用代码 and mainland mobile numbers,
with the check-character arithmetic of the standards behind them."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this 31-character set (no I, O, Z, S, V).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714: the organisation code inside a USCC (characters 9-17), its own check character last.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_SHAPE = re.compile(rf"^[{USCC_CHARSET}]{{2}}\d{{6}}[{USCC_CHARSET}]{{10}}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# 全国投资项目在线审批监管平台: year, 6-digit division, industry, project type, serial number.
_PROJECT_CODE = re.compile(r"^(19|20)\d{2}-\d{6}-\d{2}-\d{2}-\d{6}$")


def normalize_uscc(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def uscc_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, section 5)."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_character(body: str) -> str:
    """The check character of an 8-character organisation code body (GB 11714, USCC 9-16)."""
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(
    *, division: str, org_code_body: str, authority: str = "9", category: str = "1"
) -> str:
    """A USCC for an enterprise (9 = market regulation, 1 = enterprise) in `division`, with
    both check characters: the organisation code's (GB 11714) and the code's own."""
    org_code = org_code_body + org_code_check_character(org_code_body)
    first17 = f"{authority}{category}{division}{org_code}"
    return first17 + uscc_check_character(first17)


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters."), code="uscc_length"
        )
    if not _USCC_SHAPE.match(code):
        raise ValidationError(
            _("Not a valid unified social credit code (the letters I, O, Z, S, V never occur)."),
            code="uscc_format",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character does not match: please check the code for a typing error."),
            code="uscc_check",
        )


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    return digits.removeprefix("+86")


def normalize_login_name(value: str) -> str:
    """What a person types to sign in: a mobile number in any spelling (`138 0013 8000`,
    `+86...`) becomes the number; any other name stays as typed."""
    mobile = normalize_mobile(value)
    return mobile if _MOBILE.match(mobile) else value


def validate_mobile(value: str) -> None:
    if not _MOBILE.match(normalize_mobile(value)):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13 to 19."),
            code="mobile",
        )


def normalize_project_code(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def validate_project_code(value: str) -> None:
    """A national investment project code (项目代码), e.g. 2026-442000-48-01-000001."""
    if not _PROJECT_CODE.match(normalize_project_code(value)):
        raise ValidationError(
            _(
                "Enter the project code as issued by the investment project approval "
                "platform: YYYY-NNNNNN-NN-NN-NNNNNN, e.g. 2026-442000-48-01-000001."
            ),
            code="project_code",
        )


# GB 11643-1999: the 18-character citizen identity number (居民身份证号码): 6-digit address code,
# 8-digit birth date, 3-digit sequence, and a check character (ISO 7064 MOD 11-2; X for 10).
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECKS = "10X98765432"
_RESIDENT_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalize_resident_id(value: str) -> str:
    return "".join((value or "").split()).upper()


def resident_id_check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECKS[total % 11]


def validate_resident_id(value: str) -> None:
    """An 18-character ID-card number with a real birth date and a matching check character."""
    if not _RESIDENT_ID_SHAPE.match(value or ""):
        raise ValidationError(
            _("An ID-card number has 18 characters: 17 digits, then a digit or X."),
            code="shape",
        )
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900:
        raise ValidationError(_("Characters 7 to 14 must be a date of birth."), code="birth_date")
    if resident_id_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character does not match: please check the number for a typing error."),
            code="check",
        )


def mask_resident_id(value: str) -> str:
    """How an ID-card number is shown anywhere: the first 3 and last 4 characters only."""
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
