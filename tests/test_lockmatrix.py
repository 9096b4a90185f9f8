from pathlib import Path

from pgfence import lockmatrix

DOC = Path(__file__).resolve().parent.parent / "docs" / "lock-matrix.md"


def test_the_lock_matrix_is_up_to_date_with_the_recorded_scenarios():
    assert DOC.read_text() == lockmatrix.render(), (
        "docs/lock-matrix.md is stale: run `python -m pgfence.lockmatrix > docs/lock-matrix.md`"
    )


def test_the_matrix_shows_where_versions_differ():
    text = lockmatrix.render()
    grant = [line for line in text.splitlines() if line.startswith("| [grant]")]
    assert [line.rsplit("|", 2)[-2].strip() for line in grant] == ["14–17", "18"]
