"""The circuit breaker's state machine (breaker.py), with a fake clock."""

from __future__ import annotations

import pytest

from breaker import BreakerOpen, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_until_a_failure_then_fails_fast_with_retry_after():
    clock = Clock()
    b = CircuitBreaker(2, clock)
    assert b.before() is False
    assert b.failure("timed out") is True
    with pytest.raises(BreakerOpen) as err:
        b.before()
    assert err.value.retry_after == 2 and "timed out" in str(err.value)
    clock.now += 1.5
    with pytest.raises(BreakerOpen) as err:
        b.before()
    assert err.value.retry_after == 1


def test_one_trial_after_the_cooldown():
    clock = Clock()
    b = CircuitBreaker(2, clock)
    b.failure("down")
    clock.now += 2
    assert b.before() is True       # the trial
    with pytest.raises(BreakerOpen):
        b.before()                  # everyone else still fails fast
    b.success()
    assert b.before() is False


def test_failed_trial_reopens_and_abandoned_trial_frees_the_slot():
    clock = Clock()
    b = CircuitBreaker(2, clock)
    b.failure("down")
    clock.now += 2
    assert b.before() is True
    assert b.failure("still down") is False  # already open: no second log line
    with pytest.raises(BreakerOpen):
        b.before()
    clock.now += 2
    assert b.before() is True
    b.abandon()                     # e.g. the trial found the pool busy
    assert b.before() is True
