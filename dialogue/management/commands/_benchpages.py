"""Time the large pages in the server's own process: `python _benchpages.py SPEC_JSON`.

Run as a script (not imported), with the code under test first on PYTHONPATH, so the same timer
measures whichever tree `manage.py bench --app-dir` points at. SPEC_JSON is a list of
{"name", "path", "session"}; prints a JSON list of {"name", "median_ms", "queries", "kb",
"status"}."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imago_site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REPEAT = int(os.environ.get("BENCH_PAGE_REPEAT", "7"))


def main() -> None:
    results = []
    for page in json.loads(sys.argv[1]):
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = page["session"]
        response = client.get(page["path"])  # warm caches, as a running server is
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            response = client.get(page["path"])
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(page["path"])
        results.append(
            {
                "name": page["name"],
                "median_ms": round(statistics.median(times), 1),
                "queries": len(queries.captured_queries),
                "kb": round(len(response.content) / 1024, 1),
                "status": response.status_code,
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
