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
SIGNATURE_BYTES = 256  # RSA-2048; an ECDSA P-256 signature is about 71 (DER, 70 to 72)
ENCRYPTED_EXTENSIONS_BYTES = 10

# Key exchange groups: (client key share, server key share) bytes, each entry with its
# 4-byte group and length header (RFC 8446 section 4.2.8). X25519: 32-byte keys (RFC
# 7748). X25519MLKEM768, the post-quantum hybrid Chrome and Firefox offer first since
# 2024: the ML-KEM-768 encapsulation key and the X25519 key, 1,216 bytes, answered by the
# ML-KEM ciphertext and X25519 key, 1,120 bytes (draft-ietf-tls-ecdhe-mlkem section 4.1).
KEY_SHARES = {"x25519": (4 + 32, 4 + 32), "x25519mlkem768": (4 + 1216, 4 + 1120)}

# A NewSessionTicket message (RFC 8446 section 4.6.1): 4-byte handshake header, lifetime
# 4, age_add 4, nonce 1 + 8, ticket 2 + 208, extensions 2: 233 bytes, as OpenSSL 3 sends
# it (measured on the testbed). A resuming client presents the 208-byte ticket as its
# PSK identity. OpenSSL sends two after a full TLS 1.3 handshake by
# default (SSL_CTX_set_num_tickets(3): "By default, two tickets are issued"), as do the
# servers built on it (nginx, Apache, hypercorn); a TLS 1.2 server sends one in its last
# flight when the client offers the SessionTicket extension, as browsers do (RFC 5077
# section 3.3).
SESSION_TICKET_IDENTITY_BYTES = 208
SESSION_TICKET_BYTES = 4 + 4 + 4 + (1 + 8) + (2 + SESSION_TICKET_IDENTITY_BYTES) + 2
SESSION_TICKETS = 2

# Per application record: TLS 1.3 adds the inner content type (1) and the AEAD tag (16)
# to the 5-byte header (RFC 8446 section 5.2); TLS 1.2 AES-GCM adds an 8-byte explicit
# nonce and the 16-byte tag (RFC 5288 section 3).
RECORD_OVERHEAD_BYTES = {"1.3": RECORD_HEADER_BYTES + 1 + 16, "1.2": RECORD_HEADER_BYTES + 8 + 16}
TLS13_ENCRYPTED_RECORD_EXTRA = 1 + 16  # inner type + tag on each encrypted handshake record


def _record(size: int) -> int:
    return size + RECORD_HEADER_BYTES


def handshake_flights(
    version: str,
    certificate_bytes: int = CERTIFICATE_BYTES,
    client_hello_bytes: int = CLIENT_HELLO_BYTES,
    key_share: str = "x25519",
    session_tickets: int = 0,
    signature_bytes: int = SIGNATURE_BYTES,
):
    """The handshake as ``(direction, kind, bytes)`` flights, in order.

    TLS 1.2 takes two round trips before the client may send data; TLS 1.3 one, the
    client's Finished travelling just before its first data. ``client_hello_bytes`` is
    the ClientHello without its key share, which TLS 1.3 adds (``key_share``, a key of
    :data:`KEY_SHARES`). A TLS 1.2 server with ``session_tickets`` sends one
    NewSessionTicket before its ChangeCipherSpec; TLS 1.3 tickets follow the handshake
    (:func:`session_tickets_bytes`).
    """
    if version == "1.2":
        ticket = _record(SESSION_TICKET_BYTES) if session_tickets else 0
        return [
            ("up", "tls-client-hello", _record(client_hello_bytes)),
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
                ticket + _record(CHANGE_CIPHER_SPEC_BYTES) + _record(FINISHED_TLS12_BYTES),
            ),
        ]
    if version == "1.3":
        client_share, server_share = KEY_SHARES[key_share]
        encrypted = RECORD_HEADER_BYTES + TLS13_ENCRYPTED_RECORD_EXTRA
        return [
            ("up", "tls-client-hello", _record(client_hello_bytes + client_share)),
            (
                "down",
                "tls-server-hello",
                _record(SERVER_HELLO_BYTES + server_share)
                + ENCRYPTED_EXTENSIONS_BYTES
                + certificate_bytes
                + certificate_verify_bytes(signature_bytes)
                + FINISHED_TLS13_BYTES
                + encrypted,  # the server's encrypted flight goes out as one record
            ),
            ("up", "tls-client-finished", FINISHED_TLS13_BYTES + encrypted),
        ]
    raise ValueError(f"unknown TLS version {version!r}")


def certificate_verify_bytes(signature_bytes: int = SIGNATURE_BYTES) -> int:
    """TLS 1.3 CertificateVerify: handshake header 4, signature scheme 2, length 2, the
    signature (RFC 8446 section 4.4.3)."""
    return 4 + 4 + signature_bytes


def session_tickets_bytes(version: str, tickets: int) -> int:
    """TLS bytes of the NewSessionTicket records a TLS 1.3 server sends once it has the
    client's Finished, each in its own encrypted record (0 for TLS 1.2, whose ticket is in
    the handshake)."""
    if version != "1.3":
        return 0
    return tickets * (SESSION_TICKET_BYTES + RECORD_OVERHEAD_BYTES["1.3"])


def round_trips(version: str) -> int:
    """Round trips the TLS handshake adds before the client sends data."""
    return {"none": 0, "1.2": 2, "1.3": 1}[version]


# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {
    "tls-client-hello": "handshake",
    "tls-server-hello": "handshake",
    "tls-client-finished": "handshake",
    "tls-server-finished": "handshake",
    "tls-session-ticket": "handshake",
}
