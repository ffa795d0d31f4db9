"""`python -m app` is the `pantau` command."""

from app.start import main

main()
