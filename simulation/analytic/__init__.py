"""Closed forms the simulator is checked against (in tests) and compared with (in notebooks).

Units: seconds, bytes, bits per second, events per second.
"""

from .closed_forms import (
    TLS_ROUND_TRIPS,
    fast_retransmit_delay_s,
    long_poll_blind_window_s,
    long_poll_bytes_per_update,
    long_poll_empty_fraction,
    long_poll_mean_latency_s,
    long_poll_updates_per_response,
    md1_mean_wait_s,
    mm1_mean_wait_s,
    push_bytes_per_update,
    push_delay_mean_s,
    rto_retransmission_delay_mean_s,
    serialization_s,
    setup_round_trips,
    setup_time_s,
    short_poll_bytes_per_update,
    short_poll_empty_fraction,
    short_poll_mean_latency_s,
    short_poll_measured_wait_s,
)
from .half_duplex import (
    full_duplex_mean_latency_s,
    half_duplex_mean_latency_s,
    half_duplex_utilisation,
    turn_probability,
)
from .in_order import in_order_mean_latency_s
from .reference import expected_latency_s

__all__ = [
    "TLS_ROUND_TRIPS",
    "expected_latency_s",
    "fast_retransmit_delay_s",
    "full_duplex_mean_latency_s",
    "half_duplex_mean_latency_s",
    "half_duplex_utilisation",
    "in_order_mean_latency_s",
    "long_poll_blind_window_s",
    "long_poll_bytes_per_update",
    "long_poll_empty_fraction",
    "long_poll_mean_latency_s",
    "long_poll_updates_per_response",
    "md1_mean_wait_s",
    "mm1_mean_wait_s",
    "push_bytes_per_update",
    "push_delay_mean_s",
    "rto_retransmission_delay_mean_s",
    "serialization_s",
    "setup_round_trips",
    "setup_time_s",
    "short_poll_bytes_per_update",
    "short_poll_empty_fraction",
    "short_poll_mean_latency_s",
    "short_poll_measured_wait_s",
    "turn_probability",
]
