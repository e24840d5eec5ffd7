"""HTTP/1.1 message sizes.

Header sizes vary a lot with cookies and user agents, so they are scenario keys
(``[http] request_header_bytes``, ``response_header_bytes``); these are their defaults.
"""

# "Request headers today vary in size from ~200 bytes to over 2KB. [...] typical header
# sizes of 700-800 bytes is common." (Google, "SPDY: An experimental protocol for a faster
# web", the SPDY whitepaper, dev.chromium.org/spdy/spdy-whitepaper).
DEFAULT_REQUEST_HEADER_BYTES = 700

# A lean API response (status line, Date, Content-Type, Content-Length, Cache-Control,
# Connection, Server): about 300 bytes, the small end of the response headers measured on
# 1,000 popular sites ("small headers with 300 byte", hereket.com/posts/http-header-body-size;
# page responses there average 1-2 KB because of cookies and security headers).
DEFAULT_RESPONSE_HEADER_BYTES = 300


def chunk_overhead_bytes(chunk_bytes: int) -> int:
    """Bytes chunked transfer coding adds to one chunk (RFC 9112 section 7.1).

    The chunk size in hexadecimal, CRLF, the data, CRLF.
    """
    if chunk_bytes <= 0:
        raise ValueError(f"a data chunk has at least one byte, got {chunk_bytes}")
    return len(f"{chunk_bytes:x}\r\n") + 2


LAST_CHUNK_BYTES = len("0\r\n\r\n")  # the zero-size chunk that ends a chunked body

# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {
    "poll-request": "data",
    "poll-response": "data",
    "lp-request": "data",
    "lp-response": "data",
    "http-post": "data",
    "http-post-response": "data",
}
