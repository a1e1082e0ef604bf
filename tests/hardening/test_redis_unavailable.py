"""Without Redis, its tests are skipped with the reason outside CI and fail under CI=true
(tests/hardening/conftest.py): `make test` passes on a machine with only Python, and CI
cannot lose the Redis tests silently."""

from __future__ import annotations

import pytest

from tests.hardening.conftest import _redis_unavailable


def test_outside_ci_the_redis_tests_are_skipped_saying_why(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Redis does not answer.*outside CI"):
        _redis_unavailable("Redis does not answer at redis://127.0.0.1:1/10")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_in_ci_they_fail(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="with CI=true the Redis tests must run"):
        _redis_unavailable("TINBAO_TEST_REDIS_URL is not set")
