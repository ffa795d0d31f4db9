"""Business rules and queries, one module per aggregate.

Plain functions taking the session first; they flush, their callers (a request, a pipeline
stage) commit. Services use the lower floors (crawlers, scoring, feed) and never the pipeline or
the routers above them (tests/test_layers.py).
"""
