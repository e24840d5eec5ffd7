"""Real servers and clients, one module per strategy, all on 127.0.0.1.

Each app is built by the registry's ``APPS[kind](testbed, params)`` and offers
``start_server() -> port``, ``stop_server()`` and ``client(index, port)``, a coroutine
that runs one client until the harness cancels it at the end of the run.
"""

from __future__ import annotations

from .long_polling import LongPollingApp
from .short_polling import ShortPollingApp
from .socketio import SocketIOApp
from .sse import ServerSentEventsApp
from .websocket import WebSocketApp

APPS = {
    app.kind: app
    for app in (ShortPollingApp, LongPollingApp, ServerSentEventsApp, WebSocketApp, SocketIOApp)
}

__all__ = ["APPS"]
