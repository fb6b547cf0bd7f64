"""Settings of the fault tests' web server: the production settings plus a kill switch.

FAULT_KILL_ARM_FILE (from the environment): when that file exists and names a stage
("response" or "finish"), the web process SIGKILLs itself at that point of the answer
service, inside its transaction (see fault_urls.py). Never used outside the tests.
"""

import os

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.faults.fault_urls"
FAULT_KILL_ARM_FILE = os.environ.get("FAULT_KILL_ARM_FILE", "")
