"""glibc's allocator, tuned and trimmed: long-running processes that handle pages of 300 kB give
their memory back (docs/performance.md, "Memory"). Nothing happens where the C library is not glibc."""

from __future__ import annotations


def _glibc():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune or trim
        return None


_LIBC = _glibc()


_MALLOC_TRIM = getattr(_LIBC, "malloc_trim", None)


_MALLOPT = getattr(_LIBC, "mallopt", None)


M_MMAP_THRESHOLD = -3  # mallopt's parameter (glibc's malloc.h)


LARGE_BUFFER = 1 << 20


# In the flow's process, which holds pages without parsing them: a page's space would stay in the heap
# of the fetch task's thread that read it.
PAGE_BUFFER = 128 << 10


def keep_large_buffers_apart(size: int = LARGE_BUFFER) -> None:
    """Serve allocations of `size` bytes or more from mappings of their own, handed back to the
    system when freed. glibc otherwise raises this threshold to the largest buffer freed so far (up
    to 32 MB); from then on a page's buffers (its bytes, its text) come from the heap, which keeps
    their space after they are freed."""
    if _MALLOPT is not None:
        _MALLOPT(M_MMAP_THRESHOLD, size)


def give_back_memory() -> None:
    """Hand the heap freed by a stored batch back to the system. glibc keeps freed memory for the
    process's next allocations, and a batch of pages leaves holes it does not reuse whole. Not in the
    extraction workers: there the next page touches the freed memory again, and a trim costs CPU."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
