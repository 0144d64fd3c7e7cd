import sys

from monsoon.cli import main

sys.exit(main())
