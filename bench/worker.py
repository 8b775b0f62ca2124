"""One benchmark task in a fresh interpreter: ``python -m bench.worker TASK JSON_ARGS``.

The task's result is printed as one JSON line (the last line of stdout); a fresh process
per task keeps peak-RSS figures apart and one task's caches out of another's timings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _tasks() -> dict[str, Callable[..., dict[str, Any]]]:
    from bench import build_bench, encoder_bench, scale, search_bench

    return {"full_builds": build_bench.full_builds, "incremental": build_bench.incremental,
            "graph_loading": build_bench.graph_loading, "shacl": build_bench.shacl_sample,
            "encoder": encoder_bench.run, "index_small": scale.small_sizes,
            "scaled_generation": scale.scaled_generation, "probe": search_bench.probe,
            "http": search_bench.serve_and_load}


def main(argv: list[str]) -> int:
    task, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    result = _tasks()[task](**args)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
