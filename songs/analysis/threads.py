"""One BLAS thread while an analysis runs.

The matrix products are small enough that BLAS threads only fight each other (several
times slower on two cores), and workers run analyses side by side. threadpoolctl's
`threadpool_limits` looks up every loaded library each time it is entered (some 4 ms, on
every pass); the controller here looks them up once per process, on the first analysis,
when numpy's BLAS (the only one the engine calls) is long loaded.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_controller: ThreadpoolController | None = None


def one_thread() -> AbstractContextManager[Any]:
    global _controller
    with _lock:
        if _controller is None:
            _controller = ThreadpoolController()
        controller = _controller
    limiter: AbstractContextManager[Any] = controller.limit(limits=1)
    return limiter
