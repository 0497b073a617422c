"""How a serving process is set up, kept free of heavy imports so that `paperwire serve`'s supervisor
process (which only starts and watches the workers) stays small: the number of worker processes, and
the limits on what grows with concurrency in each of them."""
from __future__ import annotations


def worker_count(setting: int) -> int:
    """Worker processes for ``PAPERWIRE_WEB_WORKERS`` / ``--workers``: 0 means one per CPU core."""
    import os

    if setting and setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


REQUEST_THREADS = 8  # threads running sync routes per worker process
ARENAS = 2  # glibc malloc arenas per process (default 8 per core: memory grows with the request threads)


def tune_server_process() -> None:
    """Bound what grows with concurrency in a serving process (and the workers it starts): numeric
    libraries use one thread each (requests already run in parallel threads and processes; BLAS or
    OpenMP threads on top only fight for the cores), and glibc keeps at most :data:`ARENAS` malloc
    arenas instead of one per thread that ever allocated."""
    import ctypes
    import os

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("MALLOC_ARENA_MAX", str(ARENAS))  # read by processes started from here
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # libraries this process already loaded
    except Exception:  # noqa: BLE001 - an optimisation only
        pass
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, ARENAS)  # M_ARENA_MAX, for this process
    except (OSError, AttributeError):
        pass
