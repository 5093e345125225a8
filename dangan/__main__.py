import sys

from dangan.cli import main

sys.exit(main())
