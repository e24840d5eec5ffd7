"""TLS sizes: handshake flights and per-record overhead (bytes of TLS, above TCP).

Handshake message sizes are those measured in a TLS 1.2 handshake with a public website
(D. Wong, "How big are TLS records during a handshake?", cryptologie.net, 2017):
ClientHello 212, ServerHello 66, Certificate 2540 (two certificates), ServerKeyExchange
338, ClientKeyExchange 75. The TLS 1.3 flights reuse them with the structure of RFC 8446:
the key share moves into the hellos, and CertificateVerify and Finished are added.
Every handshake record has a 5-byte header (RFC 8446 section 5.1).
"""

RECORD_HEADER_BYTES = 5

CLIENT_HELLO_BYTES = 212
SERVER_HELLO_BYTES = 66
CERTIFICATE_BYTES = 2540
SERVER_KEY_EXCHANGE_BYTES = 338
CLIENT_KEY_EXCHANGE_BYTES = 75
SERVER_HELLO_DONE_BYTES = 4
CHANGE_CIPHER_SPEC_BYTES = 1
# Finished: 4-byte handshake header + 12-byte verify_data (TLS 1.2, RFC 5246 7.4.9),
# encrypted with AES-GCM: + 8-byte explicit nonce + 16-byte tag (RFC 5288).
FINISHED_TLS12_BYTES = 4 + 12 + 8 + 16
# TLS 1.3 Finished: 4 + 32 (SHA-256 HMAC); CertificateVerify: 4 + 4 + 256 (RSA-2048
# signature); EncryptedExtensions: about 10 (RFC 8446 section 4).
FINISHED_TLS13_BYTES = 4 + 32
CERTIFICATE_VERIFY_BYTES = 4 + 4 + 256
ENCRYPTED_EXTENSIONS_BYTES = 10
KEY_SHARE_BYTES = 4 + 32  # an X25519 key share entry (RFC 8446 section 4.2.8)

# Per application record: TLS 1.3 adds the inner content type (1) and the AEAD tag (16)
# to the 5-byte header (RFC 8446 section 5.2); TLS 1.2 AES-GCM adds an 8-byte explicit
# nonce and the 16-byte tag (RFC 5288 section 3).
RECORD_OVERHEAD_BYTES = {"1.3": RECORD_HEADER_BYTES + 1 + 16, "1.2": RECORD_HEADER_BYTES + 8 + 16}
TLS13_ENCRYPTED_RECORD_EXTRA = 1 + 16  # inner type + tag on each encrypted handshake record


def _record(size: int) -> int:
    return size + RECORD_HEADER_BYTES


def handshake_flights(version: str, certificate_bytes: int = CERTIFICATE_BYTES):
    """The handshake as ``(direction, kind, bytes)`` flights, in order.

    TLS 1.2 takes two round trips before the client may send data; TLS 1.3 one, the
    client's Finished travelling just before its first data.
    """
    if version == "1.2":
        return [
            ("up", "tls-client-hello", _record(CLIENT_HELLO_BYTES)),
            (
                "down",
                "tls-server-hello",
                _record(SERVER_HELLO_BYTES)
                + _record(certificate_bytes)
                + _record(SERVER_KEY_EXCHANGE_BYTES)
                + _record(SERVER_HELLO_DONE_BYTES),
            ),
            (
                "up",
                "tls-client-finished",
                _record(CLIENT_KEY_EXCHANGE_BYTES)
                + _record(CHANGE_CIPHER_SPEC_BYTES)
                + _record(FINISHED_TLS12_BYTES),
            ),
            (
                "down",
                "tls-server-finished",
                _record(CHANGE_CIPHER_SPEC_BYTES) + _record(FINISHED_TLS12_BYTES),
            ),
        ]
    if version == "1.3":
        encrypted = RECORD_HEADER_BYTES + TLS13_ENCRYPTED_RECORD_EXTRA
        return [
            ("up", "tls-client-hello", _record(CLIENT_HELLO_BYTES + KEY_SHARE_BYTES)),
            (
                "down",
                "tls-server-hello",
                _record(SERVER_HELLO_BYTES + KEY_SHARE_BYTES)
                + ENCRYPTED_EXTENSIONS_BYTES
                + certificate_bytes
                + CERTIFICATE_VERIFY_BYTES
                + FINISHED_TLS13_BYTES
                + encrypted,  # the server's encrypted flight goes out as one record
            ),
            ("up", "tls-client-finished", FINISHED_TLS13_BYTES + encrypted),
        ]
    raise ValueError(f"unknown TLS version {version!r}")


def round_trips(version: str) -> int:
    """Round trips the TLS handshake adds before the client sends data."""
    return {"none": 0, "1.2": 2, "1.3": 1}[version]


# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {
    "tls-client-hello": "handshake",
    "tls-server-hello": "handshake",
    "tls-client-finished": "handshake",
    "tls-server-finished": "handshake",
}
