"""The change feed: every node's search index follows the database through a change log.

* :mod:`.models` — ``change_log``: one row per inserted, updated or deleted activity, place,
  organization or district, written by database triggers in the SAME transaction as the change
  (so no code path — a view, a service, an import's Core INSERT, a hand-written SQL UPDATE — can
  forget it; the triggers are created by the migration).
* :mod:`.tailer` — each node reads the log past its last applied id and updates its own index;
  on PostgreSQL it wakes on ``NOTIFY odekake_changes`` (sent by a trigger at commit) and polls as a
  fallback; on SQLite it polls.
* ``odekake reindex --check`` stays the safety net (docs/SCALE.md).
"""
