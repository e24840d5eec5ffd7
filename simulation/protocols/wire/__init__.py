"""Byte-exact wire formats of HTTP/2, HTTP/3, QUIC and their header compression.

Pure, deterministic functions and small encoder objects (no SimPy, no clock): given what
a message carries and the compression state, they return the bytes it takes on the wire.
They are kept apart from the flat modules beside this package (``http``, ``tcp``, ...)
because those each declare the message kinds the model sends (``KINDS``); these do not
send anything yet, they size what a later ``[transport] http = "2" | "3"`` will send.

* :mod:`.primitives`: prefixed integers and string literals (RFC 7541 section 5), QUIC
  variable-length integers (RFC 9000 section 16);
* :mod:`.huffman`: the static Huffman code of RFC 7541 Appendix B (HPACK and QPACK);
* :mod:`.headers`: the header lists each message kind carries, their HTTP/1.1 size, and
  padding to a configured size;
* :mod:`.hpack`, :mod:`.qpack`: header compression (RFC 7541, RFC 9204);
* :mod:`.http2`: HTTP/2 framing (RFC 9113);
* :mod:`.quic`, :mod:`.http3`: QUIC packets and handshake (RFC 9000, 9001), HTTP/3
  frames and streams (RFC 9114);
* :mod:`.deflate`: the WebSocket permessage-deflate extension (RFC 7692).

All sizes are in bytes.
"""
