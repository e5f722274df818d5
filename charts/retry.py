"""Retrying what fails for a moment: a connection to PostgreSQL or Redis dropped by a restart.

Only connection errors are retried. A user's own bad file, or any other error, fails at once:
trying it again would give the same answer later.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
# Seconds between attempts, doubling: about 30 s in all, as long as a database or Redis restart takes.
BACKOFF_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

T = TypeVar("T")


def with_retries(call: Callable[[], T], *, what: str, delays_s: tuple[float, ...] = BACKOFF_DELAYS_S) -> T:
    """`call()`, tried again after each of `delays_s` while it raises one of TRANSIENT_ERRORS;
    the last attempt's error goes on to the caller. `what` names the call in the log."""
    for delay_s in delays_s:
        try:
            return call()
        except TRANSIENT_ERRORS as error:
            logger.warning("%s failed (%s: %s); trying again in %g s", what, type(error).__name__, error, delay_s)
            # A connection the server dropped is unusable: the next attempt must open a new one.
            close_old_connections()
            time.sleep(delay_s)
    return call()
