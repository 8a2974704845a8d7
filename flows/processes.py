"""Processes paperboy starts must end with it, however it ends (Ctrl-C, SIGTERM, kill -9).

- The Prefect API server it starts is told by the kernel when paperboy's process dies
  (`die_with_parent`, Linux's parent-death signal).
- Extraction workers, and the flow runs a served deployment starts in processes of their own,
  watch their parent and leave when it is gone (`exit_with`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1  # prctl's option (linux/prctl.h)


def proc_stat(pid: int | str) -> list[bytes]:
    """The fields of /proc/<pid>/stat after the command name: state, ppid, … (OSError: no such
    process, or no /proc)."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return fh.read().rsplit(b")", 1)[1].split()


def children_by_parent() -> dict[int, list[int]]:
    """Every living process's children, by parent pid (Linux /proc; elsewhere none are found)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if entry.name.isdigit():
            try:
                fields = proc_stat(entry.name)
                if fields[0] not in (b"Z", b"X"):
                    children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


def descendants(pid: int) -> list[int]:
    """The living processes below `pid`: children, theirs, and so on."""
    tree = children_by_parent()
    out, todo = [], list(tree.get(pid, []))
    while todo:
        child = todo.pop()
        out.append(child)
        todo += tree.get(child, [])
    return out


def alive(pid: int) -> bool:
    try:
        return proc_stat(pid)[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _watch(pid: int) -> None:
    while alive(pid):
        time.sleep(1.0)
    os._exit(0)


def exit_with(pid: int) -> None:
    """This process leaves when process `pid` is gone (SIGKILL gives a parent no time to stop it)."""
    threading.Thread(target=_watch, args=(pid,), daemon=True, name=f"exit-with-{pid}").start()


def die_with_parent(parent: int):
    """A `preexec_fn` for subprocess.Popen: the child is killed when `parent` (the process that
    starts it, from its main thread) dies, by the kernel, whatever killed the parent."""

    def arm() -> None:
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not Linux: the parent stops it when it can
            return
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


SERVE_PID = "PAPERBOY_SERVE_PID"  # set by `serve` for the flow runs it starts in processes of their own


def exit_with_serve() -> None:
    """In a flow run that `paperboy serve` started: leave when serve is gone."""
    pid = os.environ.get(SERVE_PID, "")
    if pid.isascii() and pid.isdigit() and int(pid) != os.getpid():
        exit_with(int(pid))
