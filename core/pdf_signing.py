"""PAdES signatures on PDFs the platform issues, and their verification, with pyHanko.

The platform signs with one key and certificate (PEM files named by settings
PDF_SIGNING_KEY_FILE / PDF_SIGNING_CERT_FILE). Where none are configured and
PDF_SIGNING_SELF_SIGNED is on (development, tests, the demo), a self-signed pair is made once
under PDF_SIGNING_DIR; production configures a real certificate and turns that off.
A signature is "valid" here when it is cryptographically intact, covers the whole file (nothing
appended after signing) and chains to the platform's certificate.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


class SigningNotConfigured(Exception):
    """No signing key and certificate are configured, and self-signing is off."""


@dataclass(frozen=True)
class SignatureCheck:
    """What a verifier learns of a PDF's signature."""

    signed: bool
    valid: bool  # intact, covering the whole file, by the platform's certificate
    signer: str = ""
    signed_at: dt.datetime | None = None


def _self_signed_pair(directory: Path) -> tuple[Path, Path]:
    key_path, cert_path = directory / "signing-key.pem", directory / "signing-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.PDF_SIGNING_SELF_SIGNED_NAME),
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"{settings.PDF_SIGNING_SELF_SIGNED_NAME} (self-signed)"
            ),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    # Written to a temporary name and renamed: two processes starting at once never read half
    # a file (the loser's pair simply replaces the winner's before either signs anything).
    for path, data in (
        (
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        ),
        (cert_path, cert.public_bytes(serialization.Encoding.PEM)),
    ):
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.chmod(0o600)
        partial.replace(path)
    return key_path, cert_path


def _key_and_cert_files() -> tuple[Path, Path]:
    key_file, cert_file = settings.PDF_SIGNING_KEY_FILE, settings.PDF_SIGNING_CERT_FILE
    if key_file and cert_file:
        return Path(key_file), Path(cert_file)
    if not settings.PDF_SIGNING_SELF_SIGNED:
        raise SigningNotConfigured("PDF_SIGNING_KEY_FILE and PDF_SIGNING_CERT_FILE are not set")
    return _self_signed_pair(Path(settings.PDF_SIGNING_DIR))


@lru_cache(maxsize=4)
def _signer(key_file: Path, cert_file: Path) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(str(key_file), str(cert_file), key_passphrase=None)
    if signer is None:
        raise SigningNotConfigured(f"cannot load the signing key {key_file} or {cert_file}")
    return signer


def platform_certificate() -> asn1_x509.Certificate:
    """The certificate the platform signs with (the trust root its verifier accepts)."""
    return _signer(*_key_and_cert_files()).signing_cert


def trust_roots() -> list[asn1_x509.Certificate]:
    """The current certificate, and the earlier ones (PDF_SIGNING_EARLIER_CERT_FILES) so that
    packages signed before a renewal still verify."""
    roots = [platform_certificate()]
    for path in settings.PDF_SIGNING_EARLIER_CERT_FILES:
        roots.append(_certificate(Path(path)))
    return roots


@lru_cache(maxsize=16)
def _certificate(path: Path) -> asn1_x509.Certificate:
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----"):
        data = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(data)


def sign_pdf(pdf: bytes, *, reason: str, location: str = "中山市") -> bytes:
    """The PDF with a PAdES baseline signature of the platform over the whole file."""
    signer = _signer(*_key_and_cert_files())
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name="PlatformSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    return signers.sign_pdf(writer, metadata, signer=signer).getvalue()


def check_pdf_signature(pdf: bytes) -> SignatureCheck:
    """Verify the platform's signature on a PDF (any bytes: garbage is simply not signed)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, OSError):
        return SignatureCheck(signed=False, valid=False)
    if not embedded:
        return SignatureCheck(signed=False, valid=False)
    signature = embedded[-1]
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as error:
        del error
        return SignatureCheck(signed=True, valid=False)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(status.intact and status.valid and status.trusted and whole_file)
    return SignatureCheck(
        signed=True,
        valid=valid,
        signer=status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt,
    )
