import sys

from schulhof.cli import main

sys.exit(main())
