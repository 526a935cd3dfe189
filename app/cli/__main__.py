"""``python -m app.cli``: the ``genaisys`` command."""

import sys

from app.cli.main import main

sys.exit(main())
