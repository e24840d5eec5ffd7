"""QUIC acknowledgements as packets: when an endpoint acknowledges what it received, and
what that costs on the wire.

TCP's bare acknowledgements are below what rtsim counts (:mod:`.recovery` times them
arithmetically), but QUIC's are packets of their own, in UDP datagrams. RFC 9000 section
13.2:

* every ack-eliciting packet (one with any frame but ACK, PADDING or CONNECTION_CLOSE) is
  acknowledged within the endpoint's ack delay of its arrival (section 13.2.1);
* after two ack-eliciting packets the endpoint acknowledges at once (section 13.2.2);
* the ACK frame rides in the next packet the endpoint sends anyway; if it has none to
  send before the delay runs out, the frame goes alone, in an ACK-only packet, which is
  itself never acknowledged nor retransmitted.

Sizes (bytes), section 19.3: an ACK frame is its type (1), the largest packet number
acknowledged, the ACK delay in units of 8 microseconds (the default ack_delay_exponent
of 3, section 18.2) and the first range, each a variable-length integer (section 16),
plus the range count (1; no loss, one range). An ACK-only packet adds the 1-RTT header and
the AEAD tag (:func:`simulation.protocols.wire.quic.packet_overhead_bytes`). Times in
seconds.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from ..protocols.wire import quic
from ..protocols.wire.primitives import varint_length

__all__ = ["Acknowledger", "ack_frame_bytes"]

_ACK_DELAY_UNIT_S = 8e-6  # 2 ** ack_delay_exponent microseconds (RFC 9000 section 18.2)


def ack_frame_bytes(largest: int, delay_s: float, first_range: int) -> int:
    """An ACK frame acknowledging packets up to ``largest``, ``delay_s`` after the largest
    arrived, its one range ``first_range`` packets long below the largest."""
    return (
        1
        + varint_length(largest)
        + varint_length(int(delay_s / _ACK_DELAY_UNIT_S))
        + 1
        + varint_length(first_range)
    )


class Acknowledger:
    """One endpoint's acknowledgements of the 1-RTT packets it receives in one direction.

    :meth:`received` is told of each arrival of ack-eliciting packets, and :meth:`settle`
    once the endpoint has sent what processing them made it send; :meth:`piggyback` is
    asked, when the endpoint sends a packet, for the ACK frame bytes it carries;
    ``send_ack_only(bytes)`` sends an ACK-only packet of that many QUIC bytes.
    ``threshold`` ack-eliciting packets are acknowledged at once (2 in RFC 9000 section
    13.2.2); without ``piggyback`` an ACK frame goes only when the delay has run out, as
    aioquic sends it (:mod:`.stacks`).
    """

    __slots__ = (
        "_armed",
        "_delay_s",
        "_env",
        "_largest",
        "_piggyback",
        "_send",
        "_since",
        "_threshold",
        "_unacked",
    )

    def __init__(
        self,
        env: simpy.Environment,
        delay_s: float,
        send_ack_only: Callable[[int], None],
        threshold: int = 2,
        piggyback: bool = True,
    ) -> None:
        self._env = env
        self._delay_s = delay_s
        self._send = send_ack_only
        self._threshold = threshold
        self._piggyback = piggyback
        self._largest = -1  # packet numbers received, counted from 0
        self._unacked = 0  # ack-eliciting packets not yet acknowledged
        self._since = 0.0  # when the first of them arrived
        self._armed = False  # a timer is running

    def received(self, packets: int) -> None:
        """``packets`` ack-eliciting packets arrived now."""
        self._largest += packets
        if not self._unacked:
            self._since = self._env.now
        self._unacked += packets
        if not self._armed:
            self._arm(self._delay_s)

    def settle(self) -> None:
        """The packets that arrived now are processed: acknowledge them at once if there
        are enough and nothing the endpoint sent meanwhile carried the ACK."""
        if self._unacked >= self._threshold:
            self._ack_only()

    def piggyback(self) -> int:
        """Bytes of the ACK frame in a packet the endpoint sends now (0: nothing to
        acknowledge, or a stack that waits for the delay)."""
        if not self._unacked or not self._piggyback:
            return 0
        return self._frame()

    def _frame(self) -> int:
        size = ack_frame_bytes(self._largest, self._env.now - self._since, self._unacked - 1)
        self._unacked = 0
        return size

    def _arm(self, delay_s: float) -> None:
        self._armed = True
        self._env.timeout(delay_s).callbacks.append(self._expire)

    def _expire(self, _event: simpy.Event) -> None:
        self._armed = False
        if not self._unacked:
            return
        left = self._since + self._delay_s - self._env.now
        if left > 1e-12:  # acknowledged since, and more arrived later: wait for those
            self._arm(left)
        else:
            self._ack_only()

    def _ack_only(self) -> None:
        self._send(quic.packet_overhead_bytes("1rtt") + self._frame())
