"""Rate limits: moving windows counted in this process's memory, or in Redis.

With `REDIS_URL` set, every instance of the backend shares one count per key. When
Redis cannot be reached the limiter fails *open to memory*: requests are not refused
because Redis is down, they are counted in the process's own memory instead (so the
limits still hold per instance) and Redis is tried again after `REDIS_RETRY_SECONDS`.
An outage of the rate-limit store must not become an outage of login.
"""

import asyncio
import logging
import math
import re
import time
from contextlib import suppress
from typing import Any, NamedTuple

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

# How long Redis is left alone after a failure, and how long one call may take.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


class Rule(NamedTuple):
    """One limit: `name` keeps its counts apart, `action` words the 429 message."""

    name: str
    limit: RateLimitItem
    action: str


def rule(name: str, limit: str, action: str) -> Rule:
    return Rule(name, parse(limit), action)


_RECOVERY, _VERIFY = "password recovery requests", "verification emails"
# Failed logins per account; every login attempt per client IP.
LOGIN_PER_ACCOUNT = rule("login-account", "10 per 15 minutes", "failed logins")
LOGIN_PER_IP = rule("login-ip", "30 per 5 minutes", "login attempts")
PASSWORD_RECOVERY_PER_EMAIL = rule("recovery-email", "3 per hour", _RECOVERY)
PASSWORD_RECOVERY_PER_IP = rule("recovery-ip", "10 per hour", _RECOVERY)
SIGNUP_PER_IP = rule("signup-ip", "10 per hour", "sign-ups")
REFRESH_PER_IP = rule("refresh-ip", "60 per minute", "token refreshes")
# Wrong authentication codes per account (a login's second step, turning 2FA on or
# off): with three codes valid at a time, 5 tries per 15 minutes leave a guesser
# about one chance in 700 a day.
TWO_FACTOR_PER_ACCOUNT = rule(
    "two-factor-account", "5 per 15 minutes", "wrong authentication codes"
)
VERIFICATION_RESEND_PER_EMAIL = rule("verify-resend-email", "3 per hour", _VERIFY)
VERIFICATION_RESEND_PER_IP = rule("verify-resend-ip", "10 per hour", _VERIFY)


class RateLimitExceeded(Exception):
    """Too many hits for one rule and key; try again after `retry_after` seconds."""

    def __init__(self, rule: Rule, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"Too many {rule.action}; try again in {retry_after} {unit}")
        self.rule = rule
        self.retry_after = retry_after


def key_prefix(project_name: str) -> str:
    """Counts of different projects sharing one Redis stay apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-")
    return f"{slug or 'app'}:rate-limit"


async def _window_full_until(
    limiter: MovingWindowRateLimiter, rule: Rule, key: str, count: bool
) -> float | None:
    """None if the window has room (with `count`, room for one more hit, now
    counted); else the time it frees up."""
    if await (limiter.hit if count else limiter.test)(rule.limit, rule.name, key):
        return None
    return (await limiter.get_window_stats(rule.limit, rule.name, key)).reset_time


class RateLimiter:
    """Counts hits per (rule, key); `enabled=False` makes every check pass."""

    def __init__(self, *, enabled: bool, redis_url: str | None, prefix: str) -> None:
        self.enabled = enabled
        # The asyncio flavour: its expiry runs as a task of the event loop, where the
        # threaded one would start a thread for nearly every hit.
        self._memory_storage = MemoryStorage()
        self._memory = MovingWindowRateLimiter(self._memory_storage)
        self._redis_storage: RedisStorage | None = None
        self._redis: MovingWindowRateLimiter | None = None
        self._redis_down_until = 0.0
        if enabled and redis_url:
            self._redis_storage = RedisStorage(
                redis_url if redis_url.startswith("async+") else f"async+{redis_url}",
                wrap_exceptions=True,
                key_prefix=prefix,
                connect_timeout=REDIS_TIMEOUT_SECONDS,
                stream_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(self._redis_storage)

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    async def hit(self, rule: Rule, key: str) -> None:
        """Count one hit; raise RateLimitExceeded when the window is already full."""
        await self._enforce(rule, key, count=True)

    async def check(self, rule: Rule, key: str) -> None:
        """Raise RateLimitExceeded if the window is full, without counting a hit."""
        await self._enforce(rule, key, count=False)

    async def _enforce(self, rule: Rule, key: str, *, count: bool) -> None:
        if not self.enabled:
            return
        full_until = await self._full_until(rule, key, count)
        if full_until is not None:
            raise RateLimitExceeded(rule, max(1, math.ceil(full_until - time.time())))

    async def _full_until(self, rule: Rule, key: str, count: bool) -> float | None:
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                return await _window_full_until(self._redis, rule, key, count)
            except Exception as exc:  # the store failing must not fail the request
                logger.warning(
                    "Rate-limit store unreachable (%s); counting in memory for %.0f s",
                    exc,
                    REDIS_RETRY_SECONDS,
                )
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        return await _window_full_until(self._memory, rule, key, count)

    async def close(self) -> None:
        # The memory store's expiry task belongs to this event loop: end it with it.
        timer = self._memory_storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            with suppress(asyncio.CancelledError):
                await timer
        if self._redis_storage is not None:
            # `limits` has no close(): disconnect the pool of its coredis client.
            client: Any = getattr(self._redis_storage.bridge, "storage", None)
            if client is not None:
                client.connection_pool.disconnect()
