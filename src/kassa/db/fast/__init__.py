"""Database access below SQLAlchemy's ORM, for the measured hot paths only.

Two paths spend more time in SQLAlchemy's Python than in the database: the real-time calls
(reserve, extend, commit and release, with the ledger entry a commit posts) and the bill run,
which writes thousands of rows per batch. They use this layer:

- :mod:`~kassa.db.fast.prepared`: a Core statement compiled once per dialect and run straight
  on the driver connection of the caller's transaction (the real-time calls).
- :mod:`~kassa.db.fast.bulk`: many rows inserted or updated in one go, by COPY, ``unnest``
  or ``executemany`` (the bill run).

Both send what SQLAlchemy would: the SQL its compiler renders, each value converted by its
column type's own processors. Everything else uses the ORM session or plain Core statements.
Code may come here only for a path a benchmark shows to be bound by SQLAlchemy's overhead
(``benchmarks/authorize.py``, ``benchmarks/billing.py``); each use is a place that must be
kept in step with the models by hand (docs/architecture.md §6).
"""
