import sys

from tallylight.lab.main import main

sys.exit(main())
