"""Without Redis, its tests are skipped with the reason outside CI and fail under CI=true
(tests/hardening/conftest.py through tests.needs): `make test` passes on a machine with only
Python, and CI cannot lose the Redis tests silently."""

from __future__ import annotations

import pytest

from tests.hardening.conftest import reachable_redis_url


def test_outside_ci_the_redis_tests_are_skipped_saying_why(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TINBAO_TEST_REDIS_URL", "redis://127.0.0.1:1/10")
    with pytest.raises(pytest.skip.Exception, match=r"Redis does not answer.*outside CI"):
        reachable_redis_url()


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_in_ci_they_fail(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("CI", value)
    monkeypatch.delenv("TINBAO_TEST_REDIS_URL", raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"not set.*with CI=true this test must run"):
        reachable_redis_url()


def test_a_silent_port_fails_in_ci(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("TINBAO_TEST_REDIS_URL", "redis://127.0.0.1:1/10")
    with pytest.raises(pytest.fail.Exception, match=r"Redis does not answer.*must run"):
        reachable_redis_url()
