"""tests.needs: a missing service or program skips a test outside CI and fails it in CI."""

from __future__ import annotations

import sys

import pytest

from tests import needs


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_outside_ci_a_missing_program_skips_saying_how_to_get_it(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install poppler-utils"):
        needs.program("pdftotext", "poppler-utils")


@pytest.mark.parametrize("ci", ["true", "TRUE", "1", "yes"])
def test_in_ci_a_missing_program_fails(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"with CI=true this test must run"):
        needs.program("initdb", "postgresql", path="/nonexistent/initdb")


def test_a_program_found_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert needs.program("python", "python3", path=sys.executable) == sys.executable


def test_an_unreachable_service_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Redis does not answer"):
        needs.unavailable("Redis does not answer at redis://127.0.0.1:1/9")
