"""``python -m fmbench`` is the same as the ``fmbench`` command."""

from fmbench.cli import main

if __name__ == "__main__":
    main()
