"""Search: a Whoosh index with one Japanese analysis chain (jatext), kept in step with the DB.

Entry points for other parts of the app:

* ``webapp.search.service.search_activities(session, query, now=None)`` with a query from
  ``webapp.search.activity_query.parse_activity_query(request.args)``; ``activity_to_json``
  is the public API's item shape.
* ``webapp.signals.activity_changed_after_commit(activity_id)`` from any request that
  publishes, edits, archives or deletes an activity (``place_changed_after_commit(place_id)``
  when a place's name, address or point changes): search subscribes (``sync.subscribe``).
  Outside a request the signal is sent at once.
* ``odekake reindex`` (rebuild) and ``odekake reindex --check`` (report and repair drift).

In tests, build an index of your own and pass it in::

    index = SearchIndex(tmp_path / "index"); sync.rebuild(session, index)
    search_activities(session, query, now, index=index)

(With ``env = "testing"`` the app's index directory is never built automatically.)
"""
