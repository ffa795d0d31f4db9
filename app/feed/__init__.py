"""The pure core of the issue feed: no database, no HTTP.

* ``query``: the watchlist query language (parse, match, explain), over ``document.Document``;
* ``clustering``: articles into issues (story groups, TF-IDF similarity, online, snapshots);
* ``severity``: 0..100 severity with its breakdown, and issue metrics;
* ``spikes``: volume and negative-share spikes on hourly or daily count series;
* ``alerts``: rules, cooldown, payloads, idempotency keys, signatures, retry backoff.

The services layer wires these to the database and the routers; nothing here does I/O.
"""
