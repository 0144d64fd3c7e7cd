"""Child processes die with their parent: a SIGKILLed run must not leave orphans (datatrove's manager process,
the extraction sandbox) waiting on their pipes forever."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from functools import cache

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """Call in a freshly forked child: Linux sends it SIGKILL when its parent dies."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _HookOwner:
    """multiprocess keeps after-fork hooks while their owner object lives: this one lives with the module."""


_OWNER = _HookOwner()


@cache
def forked_children_die_with_parent() -> None:
    """Every process datatrove's executor forks through `multiprocess` from now on dies with its parent."""
    import multiprocess.util

    multiprocess.util.register_after_fork(_OWNER, lambda _: die_with_parent())
