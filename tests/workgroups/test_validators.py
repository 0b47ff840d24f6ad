"""The check characters of a unified social credit code (GB 32100-2015, GB 11714)."""

from django.core.exceptions import ValidationError

from workgroups.validators import make_uscc, org_code_check_character, validate_uscc


def uscc_is_valid(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def test_uscc_check_digits_match_published_codes():
    # Codes printed on real business licences (GB 32100-2015), both check characters.
    for real in ("9144030071526726XG", "91440300708461136T", "914403001922038216"):
        assert uscc_is_valid(real), real
        assert org_code_check_character(real[8:16]) == real[16]
    assert not uscc_is_valid("9144030071526726XH")
    assert not uscc_is_valid("9144030071526726X")
    code = make_uscc(division="442000", org_code_body="MA55C8R1")
    assert uscc_is_valid(code)
    wrong_check = "1" if code[-1] == "0" else "0"
    assert not uscc_is_valid(code[:-1] + wrong_check)
