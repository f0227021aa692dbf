"""docs/reliability.md shows the figures the fault tests measured, every scenario at its target."""

import json

from tests import faults


def _figures() -> dict:
    return json.loads(faults.FIGURES.read_text())


def test_the_doc_embeds_the_table_of_the_measured_figures():
    assert faults.embedded_table() == faults.table(_figures())


def test_every_fault_scenario_is_in_the_doc_at_zero_lost_zero_duplicated_and_under_a_minute():
    figures = _figures()
    assert tuple(figures) == faults.SCENARIOS
    for name, row in figures.items():
        assert row["processed"] == row["sent"] > 0, name
        assert row["lost"] == 0 and row["duplicated"] == 0, name
        assert row["recover_seconds"] < faults.TARGET_SECONDS, name


def test_the_figures_are_this_runs_when_the_fault_tests_ran():
    """Counts are deterministic; seconds vary from run to run, and the fault run rewrites them."""
    if not faults.RESULTS:
        return
    figures = _figures()
    for name, row in faults.RESULTS.items():
        assert {k: figures[name][k] for k in ("sent", "processed", "duplicated", "lost")} == {
            k: row[k] for k in ("sent", "processed", "duplicated", "lost")}, name
