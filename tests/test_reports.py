"""The committed reports are whole (scripts/check_report.py): every figure shown, no error,
stray stderr or machine path, every number of a discussion among its outputs, small folders.

The colour reports in NOT_YET_REBUILT were executed before the check existed and are rebuilt
with their long runs; until then they are expected to fail it (strictly: once one passes,
its mark must go)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_report  # noqa: E402

NOT_YET_REBUILT = {"08_cifar10"}
FOLDERS = sorted(p for p in (ROOT / "reports").iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", [
    pytest.param(f, id=f.name, marks=pytest.mark.xfail(
        strict=True, reason="executed before the report check"))
    if f.name in NOT_YET_REBUILT else pytest.param(f, id=f.name) for f in FOLDERS])
def test_committed_report_is_whole(folder):
    assert check_report.problems(folder) == []


def test_committed_reports_together_stay_small():
    assert check_report.total_problem(ROOT / "reports") == []
