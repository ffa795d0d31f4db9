"""The ground floor: fetch (HTTP I/O) and pure parsing, no database rules.

Fetching (fetch.py with its guards: connector, transport, netguard, politeness, robots,
decoding, charset), parsing (parsers, opml, links, discover, extract), URLs (urls), article rows
and their dedup keys (rows), near-duplicate signatures (neardup), poll scheduling rules
(scheduling) and the CPU process pool (pool). Nothing here imports services, pipeline or
routers (tests/test_layers.py).
"""
