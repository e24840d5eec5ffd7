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
