"""Search: Whoosh index with one Japanese analysis chain, kept in step with the DB.

Public entry points: :func:`webapp.search.service.search_activities`,
:func:`webapp.search.sync.index_activity_after_commit`, `odekake reindex [--check]`.
"""
