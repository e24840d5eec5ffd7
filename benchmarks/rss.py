"""Peak resident memory of the process that calls it, from the moment it asks.

A child process's ``ru_maxrss`` includes its parent's peak (Linux keeps the largest
memory the process had before ``exec``), so a benchmark child started by a parent that
already holds a large model would report the parent's peak. :func:`peak_bytes` reads
the peak of this program image instead (``VmHWM`` in ``/proc/self/status``), which
:func:`reset_peak` can also restart (``/proc/self/clear_refs``, Linux 4.0 and later).
"""

from __future__ import annotations

import resource


def reset_peak() -> None:
    """Start measuring the peak from now (no effect where /proc does not allow it)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_bytes() -> int:
    """The peak resident memory so far, in bytes (``ru_maxrss`` where /proc is absent)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
