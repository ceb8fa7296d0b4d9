"""scripts/build_reports.py shows a report as a reader should meet it: one parameters cell
with the values the report used, each still explained, and links that work from reports/."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import build_reports  # noqa: E402


def _executed():
    own = new_code_cell('# Parameters\nepochs = 40          # passes over the data\n'
                        'time_budget = 300    # seconds\nseed = 0',
                        metadata={"tags": ["parameters"]})
    injected = new_code_cell('# Parameters\nepochs = 100\ntime_budget = 900\nlong_budget = 4100\n',
                             metadata={"tags": ["injected-parameters"]})
    text = new_markdown_cell("Details in [How we measure](how_we_measure.md), "
                             "[the paper](https://arxiv.org/abs/1406.2661) and [01](../x.md).")
    return new_notebook(cells=[own, injected, new_code_cell("print(epochs)"), text])


def test_injected_values_replace_the_defaults_in_the_one_parameters_cell():
    nb = _executed()
    build_reports.one_parameters_cell(nb)
    assert [c.metadata.get("tags") for c in nb.cells][:2] == [["parameters"], None]
    assert nb.cells[0].source.splitlines() == [
        "# Parameters", "epochs = 100         # passes over the data",
        "time_budget = 900    # seconds", "seed = 0", "long_budget = 4100"]


def test_links_to_pages_beside_the_notebooks_are_rewritten_for_reports():
    nb = _executed()
    build_reports.report_links(nb)
    rewritten = ("Details in [How we measure](../../notebooks/how_we_measure.md), "
                 "[the paper](https://arxiv.org/abs/1406.2661) and [01](../../x.md).")
    assert nb.cells[3].source == rewritten
    build_reports.report_links(nb)  # a report's links, rewritten again, stay as they are
    assert nb.cells[3].source == rewritten


def test_a_notebook_without_injected_parameters_is_left_as_it_is(tmp_path):
    nb = _executed()
    nb.cells.pop(1)
    before = nbformat.writes(nb)
    build_reports.one_parameters_cell(nb)
    assert nbformat.writes(nb) == before


def test_prose_carries_new_markdown_and_keeps_the_executed_code(tmp_path, monkeypatch):
    """A change of words (a new exercises section) reaches the report without executing."""
    source = new_notebook(cells=[new_code_cell("epochs = 40  # passes", metadata={"tags": ["parameters"]}),
                                 new_code_cell("print(epochs)"),
                                 new_markdown_cell("## What the run showed\n\nIt ran."),
                                 new_markdown_cell("## Exercises\n\nTry [this](how_we_measure.md).")])
    report = _executed()
    report.cells = [source.cells[0].copy(), report.cells[1],  # as papermill left it
                    new_code_cell("print(epochs)", outputs=[nbformat.v4.new_output("stream", text="100\n")]),
                    new_markdown_cell("## What the run showed\n\nIt ran.")]
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "reports" / "x").mkdir(parents=True)
    nbformat.write(source, tmp_path / "notebooks" / "x.ipynb")
    nbformat.write(report, tmp_path / "reports" / "x" / "x.ipynb")
    monkeypatch.setattr(build_reports, "ROOT", tmp_path)
    build_reports.prose("x")
    out = nbformat.read(tmp_path / "reports" / "x" / "x.ipynb", as_version=4)
    assert [c.cell_type for c in out.cells] == ["code", "code", "markdown", "markdown"]
    assert out.cells[0].source.startswith("epochs = 100")
    assert out.cells[1].outputs[0]["text"] == "100\n"
    assert "../../notebooks/how_we_measure.md" in out.cells[3].source


def test_a_generator_measured_again_is_not_rewritten(tmp_path):
    """The same weights saved again differ in the zip's bytes: 3 MB more in every clone's history."""
    import keras
    import numpy as np

    from ganutils.checkpoint import save_generator

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh")])
    model.save(tmp_path / "new.keras")
    save_generator(model, tmp_path / "kept.keras", "float16")
    assert build_reports._same_generator(tmp_path / "new.keras", tmp_path / "kept.keras")
    model.layers[-1].kernel.assign(model.layers[-1].kernel + np.float32(0.5))
    model.save(tmp_path / "new.keras")
    assert not build_reports._same_generator(tmp_path / "new.keras", tmp_path / "kept.keras")
    assert not build_reports._same_generator(tmp_path / "new.keras", tmp_path / "absent.keras")
