"""Facts about Postgres that every stage may import, with no I/O: the lock modes and their
conflicts (`locks.py`), the lock table (`locktable.py`, its row keys in `rows.py`), which
statements Postgres refuses inside or outside a transaction block (`transactions.py`), the
majors pgfence supports (`versions.py`) and what each can do (`features.py`). This package
imports nothing of pgfence."""
