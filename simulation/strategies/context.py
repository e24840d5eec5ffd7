"""What a strategy may use of the model it runs in, and nothing more.

The model builds one :class:`StrategyContext` per run and hands it to the strategy. A
strategy reaches the clock, the recorder, the server, the transport, its random streams
and the HTTP sizes through it, opens one channel per client with ``open_channel``, and
hands a client message to other clients with ``relay`` (Socket.IO rooms). It never sees
the model, the workload or the scenario as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from ..channel import Channel
from ..messages import Message, Update
from ..network import HttpParams
from ..recorder import Recorder
from ..rng import RandomStreams
from ..server import Server
from ..transport import Transport, TransportParams

__all__ = ["Handler", "StrategyContext"]

Handler = Callable[[Message], None]  # called with a message when it arrives


@dataclass(frozen=True)
class StrategyContext:
    """The parts of a run a strategy works with (see the module docstring)."""

    env: simpy.Environment
    recorder: Recorder
    server: Server
    transport: Transport
    transport_params: TransportParams
    http: HttpParams
    streams: RandomStreams
    clients: int
    # open_channel(client, deliver_up, deliver_down): the channel between client and server
    open_channel: Callable[[int, Handler | None, Handler], Channel]
    # relay(original, target): a copy of client message ``original`` for client ``target``
    relay: Callable[[Update, int], Update]
