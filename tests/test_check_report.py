"""scripts/check_report.py finds what makes an executed report unreadable, and passes a
whole one. (The committed reports are checked once they are rebuilt with it.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import check_report  # noqa: E402

PNG = {"output_type": "display_data", "metadata": {},
       "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}


def _out(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def _code(source, *outputs):
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": list(outputs),
            "execution_count": 1}


def _md(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _report(tmp_path, cells, metadata=None, metrics=None):
    folder = tmp_path / "09_demo"
    folder.mkdir()
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
          "metadata": metadata or {"papermill": {"input_path": "notebooks/09_demo.ipynb",
                                                 "parameters": {"epochs": 10}}}}
    (folder / "09_demo.ipynb").write_text(json.dumps(nb))
    if metrics:
        (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def _whole_cells():
    return [_code("plots.loss_curves(run.history)\nplt.show()", PNG),
            _code("print(report.summary(run))", _out("FID 17.33 after 10 epochs; dog 73.1%\n")),
            _md("## What the run showed\n"),
            _md("FID fell to 17.3 in 10 epochs (Radford et al. 2015); 73.1% look like dogs.")]


def test_a_whole_report_passes(tmp_path):
    assert check_report.problems(_report(tmp_path, _whole_cells(), metrics={"epochs": 10})) == []


@pytest.mark.parametrize("change, expected", [
    (lambda c: c[0].update(outputs=[]), "cell 0 draws a figure but has no image output"),
    (lambda c: c[1]["outputs"].append(_out("UserWarning: careful\n", "stderr")), "writes to stderr"),
    (lambda c: c[1]["outputs"].append({"output_type": "error", "ename": "ValueError",
                                       "evalue": "bad", "traceback": []}), "error in its output"),
    (lambda c: c[1]["outputs"].append(_out("saved to /home/me/runs/x\n")), "machine path"),
    (lambda c: c[3].update(source="FID fell to 12.9 and 23.5% are cats."),
     "the discussion quotes 12.9, 23.5"),
    (lambda c: c.pop(2), "no discussion section"),
])
def test_each_defect_is_found(tmp_path, change, expected):
    cells = _whole_cells()
    change(cells)
    found = check_report.problems(_report(tmp_path, cells))
    assert any(expected in line for line in found), found


def test_absolute_paths_in_metadata_and_unsaid_resumes_are_found(tmp_path):
    folder = _report(tmp_path, _whole_cells(),
                     metadata={"papermill": {"input_path": "/work/x/notebooks/09_demo.ipynb",
                                             "parameters": {"epochs": 10}}},
                     metrics={"models": {"plain": {"epochs": 12}, "augmented": {"epochs": 9}}})
    found = check_report.problems(folder)
    assert "notebook metadata holds an absolute path" in found
    assert any("{'plain': 12}" in line and "resumed" in line for line in found)


def test_oversized_folders_are_found(tmp_path, monkeypatch):
    folder = _report(tmp_path, _whole_cells(), metrics={"epochs": 10})
    (folder / "big.gif").write_bytes(b"0" * 2**20 * 2)
    monkeypatch.setattr(check_report, "LIMIT_MB", 1)
    monkeypatch.setattr(check_report, "TOTAL_MB", 1)
    assert any("more than 1 MB" in line for line in check_report.problems(folder))
    assert check_report.total_problem(tmp_path) == ["reports/ holds 2.0 MB, more than 1 MB"]


def _kept(folder, name, megabytes):
    (folder / name).mkdir()
    (folder / name / "losses.json").write_text("{}")
    (folder / name / "generator.keras").write_bytes(b"0" * int(2**20 * megabytes))


def test_a_kept_long_run_counts_in_the_folder_and_has_its_own_limit(tmp_path, monkeypatch):
    folder = _report(tmp_path, _whole_cells(), metrics={"epochs": 10})
    _kept(folder, "long", 2)
    monkeypatch.setattr(check_report, "LIMIT_MB", 3)
    monkeypatch.setattr(check_report, "KEPT_MB", 3)
    assert not any("MB" in line for line in check_report.problems(folder))
    monkeypatch.setattr(check_report, "LIMIT_MB", 1)
    assert any("the folder holds 2.0 MB" in line for line in check_report.problems(folder))
    monkeypatch.setattr(check_report, "KEPT_MB", 1)
    assert any("the kept run long/ holds 2.0 MB" in line for line in check_report.problems(folder))


def test_a_second_kept_run_raises_the_folders_limit_by_its_own(tmp_path, monkeypatch):
    folder = _report(tmp_path, _whole_cells(), metrics={"epochs": 10})
    _kept(folder, "long", 2)
    _kept(folder, "fastgan", 2)
    monkeypatch.setattr(check_report, "LIMIT_MB", 3)
    monkeypatch.setattr(check_report, "KEPT_MB", 2.5)
    assert not any("MB" in line for line in check_report.problems(folder))  # 4 MB <= 3 + 2.5
    (folder / "other").mkdir()  # not a kept run: no allowance of its own
    (folder / "other" / "big.bin").write_bytes(b"0" * 2**20 * 2)
    assert any("the folder holds 6.0 MB, more than 5.5 MB" in line for line in check_report.problems(folder))


def test_an_oversized_notebook_is_found(tmp_path, monkeypatch):
    folder = _report(tmp_path, _whole_cells(), metrics={"epochs": 10})
    monkeypatch.setattr(check_report, "NOTEBOOK_MB", 0)
    assert any(line.startswith("the notebook holds") for line in check_report.problems(folder))


def test_the_discussion_ends_at_the_next_section(tmp_path):
    """Exercises after the discussion predict what a change would do: not this run's results."""
    cells = [*_whole_cells(), _md("## Exercises\n\nExpect a loss near 0.21 and 5.9.")]
    assert check_report.problems(_report(tmp_path, cells, metrics={"epochs": 10})) == []
    cells[3]["source"] += "\n\n### A closer look\n\nThe loss fell to 0.21."
    (tmp_path / "again").mkdir()
    found = check_report.problems(_report(tmp_path / "again", cells, metrics={"epochs": 10}))
    assert any("0.21" in line for line in found), found
