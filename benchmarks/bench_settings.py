"""Settings of `benchmarks/web.py`: the production settings plus one benchmark-only URL.

`/__bench__/minimal/` (see bench_urls.py) exists only under these settings; the site's own
URL conf (config.urls) never has it. Cookies are not marked Secure because the benchmark
talks plain HTTP on 127.0.0.1.
"""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "benchmarks.bench_urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
