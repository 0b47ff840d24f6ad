"""The platform's PDF signature: made once self-signed where no certificate is configured,
refused in production without one, and still verifying after a certificate renewal when the
old certificate is kept as an earlier one."""

import io

import pytest
from reportlab.pdfgen import canvas

from core.pdf_signing import SigningNotConfigured, check_pdf_signature, sign_pdf


def _pdf(text: str = "hello") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


@pytest.fixture
def first_key(settings, tmp_path):
    settings.PDF_SIGNING_KEY_FILE = settings.PDF_SIGNING_CERT_FILE = ""
    settings.PDF_SIGNING_SELF_SIGNED = True
    settings.PDF_SIGNING_DIR = str(tmp_path / "2026")
    settings.PDF_SIGNING_EARLIER_CERT_FILES = []
    return tmp_path / "2026" / "signing-cert.pem"


def test_a_signed_pdf_verifies_and_an_unsigned_or_garbage_one_does_not(first_key):
    signed = sign_pdf(_pdf(), reason="test")
    assert check_pdf_signature(signed).valid
    assert first_key.exists()
    assert not check_pdf_signature(_pdf()).signed
    assert not check_pdf_signature(b"not a pdf").signed
    assert not check_pdf_signature(signed[: len(signed) // 2]).valid


def test_after_a_renewal_old_packages_verify_only_with_the_old_certificate_kept(
    settings, tmp_path, first_key
):
    signed_2026 = sign_pdf(_pdf(), reason="test")
    settings.PDF_SIGNING_DIR = str(tmp_path / "2027")  # a new key and certificate
    assert check_pdf_signature(sign_pdf(_pdf(), reason="test")).valid
    assert not check_pdf_signature(signed_2026).valid
    settings.PDF_SIGNING_EARLIER_CERT_FILES = [str(first_key)]
    assert check_pdf_signature(signed_2026).valid


def test_production_without_a_certificate_refuses_to_sign(settings):
    settings.PDF_SIGNING_KEY_FILE = settings.PDF_SIGNING_CERT_FILE = ""
    settings.PDF_SIGNING_SELF_SIGNED = False
    with pytest.raises(SigningNotConfigured):
        sign_pdf(_pdf(), reason="test")
