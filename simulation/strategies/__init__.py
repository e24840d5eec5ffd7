"""The registry of strategies: the scenario's ``strategy.kind`` names one of these."""

from .base import Strategy
from .long_polling import LongPolling
from .short_polling import ShortPolling
from .socketio import SocketIO
from .sse import ServerSentEvents
from .stream import Stream
from .websocket import WebSocket

__all__ = ["STRATEGIES", "Strategy"]

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (ShortPolling, LongPolling, ServerSentEvents, WebSocket, SocketIO, Stream)
}
