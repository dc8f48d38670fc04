"""`python -m coverage.cli`."""

from coverage.cli import main

main()
