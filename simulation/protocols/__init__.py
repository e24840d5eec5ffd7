"""Wire sizes of protocol messages, in bytes. No timing lives here."""
