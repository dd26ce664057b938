"""`python -m generator` runs the `outpost` command."""

from generator.cli import program

program()
