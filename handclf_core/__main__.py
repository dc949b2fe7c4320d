import sys

from handclf_core.cli.main import main

sys.exit(main())
