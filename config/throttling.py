"""API rate limits counted once for all workers and machines, atomically.

DRF's throttles keep a list of request times per user in the cache and write it back after
reading it: two workers reading at once both see room, so 40 simultaneous call requests by one
user on 4 workers placed 38 calls against a limit of 10. Here each rate is a window counter in
the shared cache (settings.CACHES: Redis in production and CI). A user's window opens at their first
request (`add` of the window's start: create-if-missing, atomic) and lasts the rate's duration;
`incr` counts each request in it, and Redis' INCR is atomic, so a window admits exactly its number
of requests whatever the concurrency. (Django's database cache implements `incr` as a read and a
write: shared by every process, but not atomic; use Redis where workers run in parallel.)

Coarser than DRF's sliding window: requests at the end of one window and the start of the next can
pass twice the rate in a short span; never more than the rate within one window.
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


class _CountingRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle with an atomic counter per window instead of a read-modify-write list."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        start_key = f"{self.key}:start"
        self.cache.add(start_key, self.now, timeout=self.duration)
        start = self.cache.get(start_key, self.now)  # expired just now: a window from now
        self.window_ends_at = start + self.duration
        counter = f"{self.key}:{start!r}"
        self.cache.add(counter, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(counter)
        except ValueError:  # the counter expired between add() and incr()
            self.cache.add(counter, 1, timeout=self.duration + 1)
            count = 1
        if count > self.num_requests:
            return self.throttle_failure()
        return True

    def wait(self) -> float:
        return max(self.window_ends_at - self.now, 1.0)


# ScopedRateThrottle.allow_request sets the scope's rate, then calls super(): _CountingRateThrottle
# comes next in the method resolution order, before SimpleRateThrottle.
class SharedAnonRateThrottle(AnonRateThrottle, _CountingRateThrottle):
    pass


class SharedUserRateThrottle(UserRateThrottle, _CountingRateThrottle):
    pass


class SharedScopedRateThrottle(ScopedRateThrottle, _CountingRateThrottle):
    pass
