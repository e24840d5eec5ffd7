"""TCP loss recovery for one direction of one connection: the sender's view.

**RTO estimate** (:class:`RtoEstimator`, RFC 6298 section 2). Before any RTT sample the
RTO is ``rto_s`` (1 s, section 2.1). The first sample R sets SRTT = R and RTTVAR = R/2;
each later sample R' sets RTTVAR = (1 - beta)·RTTVAR + beta·|SRTT - R'| and then
SRTT = (1 - alpha)·SRTT + alpha·R', with alpha = 1/8 and beta = 1/4 (section 2.3). Then
RTO = SRTT + K·RTTVAR with K = 4 and a clock granularity G -> 0, clamped to
``[rto_min_s, rto_max_s]`` (sections 2.4 and 2.5). Karn's rule (section 3): no sample from
a retransmitted segment, and a backed-off RTO stays until a new sample arrives.

**One retransmission timer** per connection and direction (RFC 6298 section 5). It runs
while a sent segment is lost and not yet sent again. It is started when a segment is sent
and it is not running (5.1), restarted when an ACK acknowledges new data (5.3), and on
expiry it resends the earliest lost segment, doubles the RTO up to ``rto_max_s`` and
starts again (5.4-5.6). If it expires on a SYN or SYN-ACK, the RTO becomes 3 s once the
handshake is acknowledged (5.7, as Linux's TCP_TIMEOUT_FALLBACK). After a timeout the
sender goes back: once the retransmission is acknowledged, every other lost segment is
resent at once (no congestion window holds them back).

On QUIC (``restart_on_ack=False``) an ACK does not restart the timer: RFC 9002's probe
timeout counts from the time the last ack-eliciting packet was sent (section 6.2.1,
Appendix A.8), and an ACK of a later packet only makes the loss known sooner (section
6.1). So a lost packet is resent at the latest one probe timeout after it was sent,
however many packets sent before it are acknowledged meanwhile.

**Fast retransmit** (RFC 5681 section 3.2). A segment that arrives above a hole makes
the receiver send an immediate duplicate ACK (section 4.2), which carries SACK blocks
(RFC 2018). When the sender learns that 3 segments sent after a lost one have arrived
(DupThresh, RFC 6675 section 4), it resends the lost one, without waiting for the timer.
Every hole counts its own segments above it, as SACK lets the sender do. After a timeout
there is no fast retransmit: the lost segments wait for the go-back (as in Linux's Loss
state, where a congestion window of one segment would also hold back new data).

**ACKs are arithmetic.** The sender learns of a segment's arrival one ACK-delay later:
the reverse direction's latency (its own stream, so no other draw moves), jitter and
latency spike, plus the serialization of a 40-byte ACK (:meth:`Channel.ack_delay`).
ACKs are not messages: they add no bytes, take no half-duplex medium time and are never
lost. Learned times never go backwards (ACKs keep their order). Nothing here schedules
an event unless a segment was lost, and only then a few (the timer, one per fast
retransmit, one per go-back); RTT samples wait in a queue and are applied when the
sender next needs its RTO.

**Left out.** A segment that arrives is acknowledged and never resent: there are no
spurious timeouts when the RTT exceeds the RTO, and no lost ACKs. Delayed ACKs are left
out: out-of-order and gap-filling segments are acknowledged at once (RFC 5681 section
4.2), so delayed ACKs never delay loss detection; they only lengthen the RTT samples of
lone segments by up to 40 ms (Linux) or 200 ms, which moves the RTO only when
SRTT + 4·RTTVAR exceeds ``rto_min_s``. Linux's tail loss probe (RFC 8985), which resends
a lone lost segment after about 2·SRTT instead of the RTO, is left out too.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import simpy

from ..messages import Message
from ..protocols import tcp

__all__ = ["ALPHA", "BETA", "DUP_THRESH", "K", "Recovery", "RtoEstimator"]

ALPHA = 1 / 8  # RFC 6298 section 2.3
BETA = 1 / 4
K = 4
DUP_THRESH = 3  # duplicate ACKs before a fast retransmit (RFC 5681 section 3.2)
SYN_FALLBACK_RTO_S = 3.0  # RFC 6298 section 5.7
HANDSHAKE_SEGMENTS = ("tcp-syn", "tcp-syn-ack")


class RtoEstimator:
    """RFC 6298 section 2: SRTT, RTTVAR and the RTO from RTT samples, in seconds.

    >>> rto = RtoEstimator(initial=1.0, minimum=0.2, maximum=60.0)
    >>> rto.sample(0.1); round(rto.rto, 6)  # SRTT = 0.1, RTTVAR = 0.05
    0.3
    >>> rto.back_off(); round(rto.rto, 6)
    0.6

    QUIC's probe timeout (RFC 9002 section 6.2.1) has the same shape with two more terms
    and no floor: ``SRTT + max(4 RTTVAR, granularity) + max_ack_delay``; pass
    ``granularity`` and ``ack_delay`` (0 for TCP).
    """

    __slots__ = (
        "ack_delay",
        "granularity",
        "initial",
        "maximum",
        "minimum",
        "rto",
        "rttvar",
        "srtt",
    )

    def __init__(
        self,
        initial: float,
        minimum: float,
        maximum: float,
        granularity: float = 0.0,
        ack_delay: float = 0.0,
    ):
        self.initial = initial
        self.minimum = minimum
        self.maximum = maximum
        self.granularity = granularity
        self.ack_delay = ack_delay
        self.rto = initial  # section 2.1
        self.srtt: float | None = None
        self.rttvar: float | None = None

    def sample(self, rtt: float) -> None:
        """A new RTT measurement (sections 2.2 and 2.3); it ends any back-off."""
        srtt, rttvar = self.srtt, self.rttvar
        if srtt is None or rttvar is None:
            srtt, rttvar = rtt, rtt / 2
        else:  # RTTVAR first, with the SRTT from before this sample
            rttvar = (1 - BETA) * rttvar + BETA * abs(srtt - rtt)
            srtt = (1 - ALPHA) * srtt + ALPHA * rtt
        self.srtt, self.rttvar = srtt, rttvar
        timeout = srtt + max(K * rttvar, self.granularity) + self.ack_delay
        self.rto = min(max(timeout, self.minimum), self.maximum)

    def back_off(self) -> None:
        """The timer expired: double the RTO, up to the maximum (section 5.5)."""
        self.rto = min(self.rto * 2, self.maximum)


class Recovery:
    """The sender of one direction of one connection, for its lost segments.

    The connection tells it :meth:`lost` when the channel loses a transmission and
    :meth:`received` when a transmission reaches the receiver; it calls ``resend(message)``
    to send a lost message again (the connection then reports that copy like any other).
    ``ack_delay(now)`` is how long an ACK sent now takes to reach the sender.
    """

    __slots__ = (
        "_acks",
        "_go_back_pending",
        "_last_ack_at",
        "_last_restart",
        "_sacked",
        "_syn_fallback",
        "_timer",
        "_timer_base",
        "ack_delay",
        "after_timeout",
        "env",
        "estimator",
        "holes",
        "mss",
        "resend",
        "restart_on_ack",
    )

    def __init__(
        self,
        env: simpy.Environment,
        estimator: RtoEstimator,
        resend: Callable[[Message], None],
        ack_delay: Callable[[float], float],
        mss: int,
        restart_on_ack: bool = True,
    ):
        self.env = env
        self.restart_on_ack = restart_on_ack
        self.estimator = estimator
        self.resend = resend
        self.ack_delay = ack_delay
        self.mss = mss
        self.holes: dict[int, Message] = {}  # seq -> its last transmission, lost
        self._sacked: dict[int, int] = {}  # seq -> segments seen above it (first losses)
        self._acks: deque[tuple[float, float]] = deque()  # (learned at, RTT or NaN)
        self._last_ack_at = -math.inf  # when the sender learns of the latest ACK
        self._last_restart = -math.inf  # the latest ACK of new data it has processed
        self._timer: simpy.Event | None = None
        self._timer_base = 0.0
        self._go_back_pending = False
        self._syn_fallback = False
        self.after_timeout = False

    def stop(self) -> None:
        """The connection closed: forget every hole, so pending events do nothing."""
        self.holes.clear()
        self._sacked.clear()

    # -- what the connection reports ---------------------------------------------------

    def lost(self, message: Message) -> None:
        """The channel lost ``message``: a hole until it is sent again."""
        now = self.env.now
        if not self.holes:  # 5.1: the timer (re)starts with the first hole
            self._timer_base = now
        self.holes[message.seq] = message
        if message.attempt == 0:
            self._sacked[message.seq] = 0
        if self._timer is None:
            self._drain(now)
            self._arm(self.estimator.rto)

    def received(self, message: Message, released: bool) -> None:
        """``message`` reached the receiver now: in order (``released``) or above a hole."""
        if released:  # an ACK of new data: an RTT sample unless it was resent (Karn)
            learned = self._learned()
            rtt = learned - message.sent_at if message.attempt == 0 else math.nan
            self._acks.append((learned, rtt))
            if self.after_timeout:
                if not self.holes:
                    self.after_timeout = False
                elif not self._go_back_pending:
                    self._go_back_pending = True
                    self._at(learned, self._go_back)
            self._drain(self.env.now)
            return
        sacked = self._sacked
        if not sacked or self.after_timeout:  # after a timeout the sender goes back instead
            return
        learned = self._learned()
        segments = tcp.segments(message.payload_bytes + message.overhead_bytes, self.mss)
        seq = message.seq
        for hole in [hole for hole in sacked if hole < seq]:
            sacked[hole] += segments
            if sacked[hole] >= DUP_THRESH:  # the third duplicate ACK is on its way
                del sacked[hole]
                self._at(learned, self._fast_retransmit, self.holes[hole])

    def _learned(self) -> float:
        """When the sender learns of the ACK the receiver sends now (never before an
        earlier one: ACKs keep their order)."""
        now = self.env.now
        learned = now + self.ack_delay(now)
        if learned < self._last_ack_at:
            learned = self._last_ack_at
        self._last_ack_at = learned
        return learned

    # -- the sender's actions ----------------------------------------------------------

    def _at(self, when: float, action: Callable, value=None) -> None:
        event = self.env.timeout(max(0.0, when - self.env.now), value)
        event.callbacks.append(action)

    def _arm(self, delay: float) -> None:
        self._timer = self.env.timeout(delay)
        self._timer.callbacks.append(self._expire)

    def _drain(self, now: float) -> None:
        """Apply the ACKs the sender has learned of by ``now``, in order."""
        acks = self._acks
        estimator = self.estimator
        while acks and acks[0][0] <= now:
            learned, rtt = acks.popleft()
            self._last_restart = learned  # 5.3: an ACK of new data restarts the timer
            if rtt == rtt:  # not NaN
                estimator.sample(rtt)
            elif self._syn_fallback:  # 5.7: the SYN's retransmission is acknowledged
                self._syn_fallback = False
                if estimator.srtt is None:
                    fallback = max(estimator.initial, SYN_FALLBACK_RTO_S)
                    estimator.rto = min(fallback, estimator.maximum)

    def _resend(self, message: Message) -> None:
        del self.holes[message.seq]
        self._sacked.pop(message.seq, None)
        self.resend(message)

    def _expire(self, _event: simpy.Event) -> None:
        self._timer = None
        now = self.env.now
        self._drain(now)
        if not self.holes:
            return  # 5.2: everything outstanding is (or will be) acknowledged
        base = self._timer_base
        if self.restart_on_ack and self._last_restart > base:
            base = self._last_restart
        expiry = base + self.estimator.rto
        if expiry - now > 1e-9:  # restarted by an ACK since it was set
            self._arm(expiry - now)
            return
        message = self.holes[min(self.holes)]  # 5.4: the earliest lost segment
        self.estimator.back_off()  # 5.5
        self.after_timeout = True
        if message.kind in HANDSHAKE_SEGMENTS:
            self._syn_fallback = True
        self._timer_base = now  # 5.6
        self._resend(message)
        if self.holes and self._timer is None:
            self._arm(self.estimator.rto)

    def _fast_retransmit(self, event: simpy.Event) -> None:
        message: Message = event.value
        if self.holes.get(message.seq) is message:  # not resent since
            self._drain(self.env.now)
            self._resend(message)

    def _go_back(self, _event: simpy.Event) -> None:
        """After a timeout, the first ACK of new data: resend every other lost segment."""
        self._go_back_pending = False
        self.after_timeout = False
        self._drain(self.env.now)
        for seq in sorted(self.holes):  # a copy lost again is a new hole, left for later
            self._resend(self.holes[seq])
