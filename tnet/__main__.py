"""Allow `python -m tnet`."""

from tnet.cli import main

main()
