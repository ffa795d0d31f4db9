"""Business rules and queries, one module per aggregate."""
