"""Checks shared by the tests that run the real ``assistant`` command as a subprocess."""

from __future__ import annotations

import subprocess


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 2, no traceback, one line on stderr containing every word in ``words``."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
