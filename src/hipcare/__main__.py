"""``python -m hipcare`` runs the command line."""

from hipcare.cli import console_main

console_main()
