"""How often waitbuddy reads a log written by someone else right (issue 11's figures).

    python bench/real_logs.py

For every log in tests/data/logs/real (sources and hand-read expectations in its manifests):
status, failure kind, fraction (within 0.02) and the last loss values, each separately and all
four together. The comparison is tests/realcorpus.py's, the same the tests pin.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.realcorpus import main  # noqa: E402 (after the path is set)

if __name__ == "__main__":
    sys.exit(main())
