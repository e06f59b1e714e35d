"""A scheduler stand-in for tests: runs one slow job under the real job lock.

python -m tests.jobs_worker DATABASE_URL JOB_NAME SECONDS MARKER_FILE
"""

import sys
import time
from pathlib import Path

from sesamlike import create_app
from sesamlike.common.jobruns import run_job
from sesamlike.config import TestConfig


def main() -> None:
    url, name, seconds, marker = (
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]),
        sys.argv[4],
    )

    def slow_job(now):
        with Path(marker).open("a") as out:
            out.write("ran\n")
        time.sleep(seconds)
        return {"slept": seconds}

    app = create_app(TestConfig(url))
    with app.app_context():
        run = run_job(name, slow_job)
        print(run.outcome)


if __name__ == "__main__":
    main()
