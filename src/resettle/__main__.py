"""`python -m resettle`: the `resettle` command, for a Python whose scripts folder is not on PATH."""

from resettle.cli import main

if __name__ == "__main__":
    main()
