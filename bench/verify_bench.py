"""How long a server takes to verify a generation before it serves it (issue 13, item 5).

Writes a synthetic generation of ``--gb`` gigabytes shaped like a large one (one big vector
file, a store of 64 MB files, many small view files), then times the build's checksum pass
(``file_checksums``) and the server's ``verify``, each the median of ``--repeat`` runs with
the files in the page cache (a cold read is bounded by the disk, not by hashing). Writes
``bench/results/verify.json``. Run: ``python -m bench.verify_bench [--gb 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from api.generation import file_checksums, verify
from bench.common import RESULTS, median

# From bench/results/build.json: a full build encodes about 100 sentences/s on this machine.
BUILD_SENTENCES_PER_S = 100.0


def synthetic_generation(root: Path, total: int) -> None:
    (root / "index").mkdir(parents=True)
    (root / "store").mkdir()
    (root / "view").mkdir()
    chunk = os.urandom(1 << 20)
    shares = {root / "index" / "vectors.faiss": total // 2}
    shares.update({root / "store" / f"{i:06d}.sst": 64 << 20 for i in range(max(1, (total // 3) // (64 << 20)))})
    rest = total - sum(shares.values())
    shares.update({root / "view" / f"t{i}.bin": rest // 200 for i in range(200)})
    for path, size in shares.items():
        with open(path, "wb") as fh:
            for _ in range(size >> 20):
                fh.write(chunk)
            fh.write(chunk[: size & ((1 << 20) - 1)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="healthkg-verify-"))
    try:
        synthetic_generation(tmp / "gen", int(args.gb * (1 << 30)))
        sums, checks = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            files = file_checksums(tmp / "gen")
            sums.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert verify(tmp / "gen", files) == []
            checks.append(time.perf_counter() - start)
        size = sum(e["size"] for e in files.values())
        per_gb = median(checks) / (size / (1 << 30))
        out = {"bytes": size, "files": len(files), "checksum_s": median(sums), "verify_s": median(checks),
               "verify_s_per_gib": per_gb, "cores_used": 1,
               "note": ("page cache warm; a 1M-sentence generation (bench/results: ivf-sq8 index, store, view) is "
                        "a few GiB, verified in seconds, against a full build of about "
                        f"{1e6 / BUILD_SENTENCES_PER_S / 3600:.1f} h at {BUILD_SENTENCES_PER_S:.0f} sentences/s")}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "verify.json").write_text(json.dumps(out, indent=1) + "\n")
        print(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
