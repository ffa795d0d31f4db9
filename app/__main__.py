"""`python -m app` is the `pantau` command."""

from app.cli import main

main()
