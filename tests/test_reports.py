"""The committed reports are whole (scripts/check_report.py): every figure shown, no error,
stray stderr or machine path, every number of a discussion among its outputs, small folders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_report  # noqa: E402

FOLDERS = sorted(p for p in (ROOT / "reports").iterdir() if any(p.glob("*.ipynb")))  # not experiments/


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_committed_report_is_whole(folder):
    assert check_report.problems(folder) == []


def test_committed_reports_together_stay_small():
    assert check_report.total_problem(ROOT / "reports") == []
