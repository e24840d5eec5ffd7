"""Timers as callbacks (simulation/strategies/timers.py): the events a process would wait
for, at the same moments and in the same order."""

import pytest
import simpy

from simulation.strategies.timers import Timer, call_later, call_soon


def test_a_timer_runs_its_callback_in_order_with_timeouts_of_the_same_moment():
    env = simpy.Environment()
    fired = []

    def note(event):
        fired.append((env.now, event.value))

    timer = Timer(env, note)
    timer.after(2.0, "a")
    call_later(env, 2.0, note, "b")
    timer.after(1.0, "c")
    timer.after(2.0, "d")
    call_soon(env, note, "e")
    env.run()
    # by time, then in the order scheduled; call_soon first, as a process's start
    assert fired == [(0.0, "e"), (1.0, "c"), (2.0, "a"), (2.0, "b"), (2.0, "d")]


def test_a_timer_event_is_an_event_that_takes_no_more_callbacks():
    env = simpy.Environment()
    seen = []
    timer = Timer(env, seen.append)
    timer.after(0.5, 7)
    (entry,) = env._queue
    event = entry[-1]
    assert isinstance(event, simpy.Event) and event.triggered and not event.processed
    with pytest.raises(AttributeError):
        event.callbacks.append(print)  # shared by every event of the timer
    env.run()
    assert seen == [event] and event.processed and event.value == 7
    with pytest.raises(ValueError, match="negative delay"):
        timer.after(-1.0)
