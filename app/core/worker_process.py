"""`tinbao serve --worker-process` (TINBAO_SERVE_WORKER_PROCESS): the background runner
(app.core.runner: scheduled jobs, webhook and notice delivery) in one `tinbao worker` child
process beside uvicorn, instead of one runner on every web worker's request loop.

- The web workers get ``TINBAO_SCHEDULER_ENABLED=false`` (set in the environment before
  uvicorn starts them, so they inherit it); the child gets the environment serve was given.
- Nothing here makes the child the only runner: jobs still run under their database leases
  and outbox rows are still claimed under leases, so a second instance's child, or a
  `tinbao worker` started by hand, shares the work safely.
- If the child dies, serve logs it and starts it again, after 1 s, doubling up to 60 s while
  it keeps dying young. It does not exit instead: intake does not depend on the runner (every
  tip's outbox rows are committed with the tip and wait in the database), so taking the web
  workers down with a crashing runner would turn a late notice into refused tips; uvicorn
  restarts a dead web worker the same way.
- When serve stops (SIGTERM, SIGINT, or uvicorn exiting), the child gets SIGTERM, finishes
  the steps under way (app.core.runner.stop) and is waited for; SIGKILL after
  :data:`STOP_TIMEOUT_SECONDS`. A serve killed outright cannot do that, so the child also
  watches its parent (``tinbao worker --parent-pid``) and stops when it is gone: no orphan.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger("tinbao.serve")

STOP_TIMEOUT_SECONDS = 25.0  # the runner's own stop grace (15 s) and the engine's disposal
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
HEALTHY_AFTER_SECONDS = 60.0  # a child that ran this long restarts after the first delay


def worker_command(parent_pid: int) -> list[str]:
    return [sys.executable, "-m", "app.cli", "worker", "--parent-pid", str(parent_pid)]


class WorkerProcess:
    """One `tinbao worker` child, kept running by a thread until :meth:`stop`."""

    def __init__(self, env: dict[str, str], command: list[str] | None = None) -> None:
        self.env = env
        self.command = command or worker_command(os.getpid())
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="tinbao-worker-process")

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # Its own session: a terminal's Ctrl-C reaches serve, which stops the child itself.
            self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)  # noqa: S603
            log.info("background worker process started (pid %d)", self.process.pid)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _watch(self) -> None:
        delay = FIRST_RESTART_DELAY
        while not self._stopping.is_set():
            process = self.process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= HEALTHY_AFTER_SECONDS:
                delay = FIRST_RESTART_DELAY
            log.error(
                "background worker process %d exited (status %s); restarting it in %.0f s",
                process.pid,
                code,
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY)
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM the child and wait for it (SIGKILL after ``timeout``)."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("background worker process %d did not stop: killed", process.pid)
                process.kill()
                process.wait()
            log.info("background worker process %d stopped", process.pid)
        if self._thread.is_alive():
            self._thread.join(timeout)


class _Terminated(Exception):
    pass


@contextmanager
def beside_the_web_workers(env: dict[str, str]) -> Iterator[WorkerProcess]:
    """Run the child for the duration of the block (uvicorn.run). SIGTERM to serve still ends
    it with SIGTERM's status, after the child has been stopped."""
    child = WorkerProcess(env)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    # uvicorn (one worker) restores this handler after its graceful shutdown and raises the
    # signal again; with more workers its supervisor returns. Either way the block ends.
    previous: Callable[[int, FrameType | None], object] | int | None = signal.signal(
        signal.SIGTERM, on_sigterm
    )
    terminated = False
    child.start()
    try:
        yield child
    except _Terminated:
        terminated = True
    finally:
        child.stop()
        signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
    if terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def watch_parent(parent_pid: int, stop: Callable[[], object], *, every: float = 1.0) -> None:
    """In the child: call ``stop`` once the parent process is gone (the child is re-parented).
    Runs in a daemon thread."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every)
        stop()

    threading.Thread(target=watch, name="tinbao-parent-watch", daemon=True).start()
