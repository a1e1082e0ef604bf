"""Loopback ports for the deployment tests, from a fixed range (TINBAO_TEST_PORT_RANGE,
"25000-25999" by default) so that parallel runs on one machine can be kept apart."""

from __future__ import annotations

import itertools
import os
import socket

_start, _, _end = os.environ.get("TINBAO_TEST_PORT_RANGE", "25000-25999").partition("-")
_next = itertools.count(int(_start) + os.getpid() % 200 * 4)


def free_port() -> int:
    """A port of the range nobody listens on now (bound and released to check)."""
    for _ in range(int(_end) - int(_start)):
        port = next(_next)
        if port > int(_end):
            port = int(_start) + port % (int(_end) - int(_start))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the test range")
