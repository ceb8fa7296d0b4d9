"""The experiment scripts behind reports/colour_runs.md: their networks are those the
records describe (by weight count), every recipe is a valid run, and the blind test's
scoring counts what the records say it counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parent.parent / "reports" / "experiments"
sys.path.insert(0, str(EXPERIMENTS))
import recipes  # noqa: E402
from ganutils import models  # noqa: E402


@pytest.mark.parametrize("name, generator, discriminator", [
    ("dcgan64_sa16", 2_627_315, 2_789_617),   # "G 2.63 M, D 2.79 M weights"
    ("cgan32_d15", None, 1_232_257),          # "1.23 M weights against 0.56 M"
    ("cgan32_g192", 3_000_439, None),         # "3.0 million parameters against 2.1"
])
def test_the_compared_networks_have_the_recorded_sizes(name, generator, discriminator):
    g, d = models.get(name).build()
    assert generator is None or g.count_params() == generator
    assert discriminator is None or d.count_params() == discriminator


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_every_recipe_is_a_valid_run(name):
    recipes.RECIPES[name].validated()


def test_the_blind_score_counts_creatures_named_without_a_guess(tmp_path):
    key = tmp_path / "g.key.json"
    key.write_text(json.dumps({"1": "gen", "2": "gen", "3": "real", "4": "blur"}))
    answers = tmp_path / "a.txt"
    answers.write_text("1 | pink creature | yes | generated | high\n"
                       "2 | blob? | yes? | generated | low\n"
                       "3 | Squirtle? | yes | artwork | high\n"
                       "4 | unclear | no | artwork | low\n")
    r = subprocess.run([sys.executable, str(EXPERIMENTS / "blind_pokemon.py"), "score", str(key),
                        str(answers)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(maxsplit=1) for line in r.stdout.splitlines())
    assert lines["gen"].startswith("creature without a guess 1/2, counting guesses 2/2, called generated 2/2")
    assert lines["real"].startswith("creature without a guess 1/1")
    assert lines["blur"].startswith("creature without a guess 0/1, counting guesses 0/1")


def test_the_recorded_blind_tests_are_what_their_kept_answers_count():
    """Each blind test whose viewers' answers are kept is recounted from them: the record
    that notebook 06 shows holds no number the answers do not give."""
    import blind_pokemon

    tests = json.loads((EXPERIMENTS / "blind" / "tests.json").read_text())
    kept = [t for t in tests if t["answers"]]
    assert kept
    for t in kept:
        c = blind_pokemon.counts(blind_pokemon.test_pairs(EXPERIMENTS / "blind" / t["answers"]))
        assert c["gen"]["total"] == c["blur"]["total"] == c["real"]["total"] == 36
        assert (t["named"], t["guessed"]) == (c["gen"]["named"], c["gen"]["guessed"]), t
        assert (t["blurred_named"], t["real_named"]) == (c["blur"]["named"], c["real"]["named"]), t
