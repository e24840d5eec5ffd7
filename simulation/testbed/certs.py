"""A self-signed certificate made at run time for the TLS and QUIC servers of the testbed.

Nothing is committed: :func:`self_signed` writes a fresh EC P-256 key and certificate
(subject and alternative names ``rt.example.com`` and ``127.0.0.1``, valid for a day)
into a directory the caller owns, usually a temporary one. The size of the certificate
chain as the TLS Certificate message carries it is returned too, so that rtsim's
``[transport] tls_certificate_bytes`` can be set to what the real handshake sends.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..protocols.wire.headers import AUTHORITY

__all__ = ["Certificate", "self_signed"]

# TLS 1.3 Certificate message (RFC 8446 section 4.4.2) around one DER certificate: the
# request context length (1), the list length (3), the entry's length (3) and its empty
# extensions (2).
CERTIFICATE_FRAMING_BYTES = 1 + 3 + 3 + 2


@dataclass(frozen=True)
class Certificate:
    certfile: Path
    keyfile: Path
    der_bytes: int  # the certificate alone, DER

    @property
    def chain_bytes(self) -> int:
        """The Certificate message's body with this one certificate (RFC 8446 4.4.2)."""
        return self.der_bytes + CERTIFICATE_FRAMING_BYTES


def self_signed(directory: Path | str, name: str = AUTHORITY) -> Certificate:
    """Write ``cert.pem`` and ``key.pem`` for ``name`` and 127.0.0.1 into ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    alternative = x509.SubjectAlternativeName(
        [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alternative, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Certificate(certfile, keyfile, len(der))
