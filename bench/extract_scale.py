"""Extraction time against article size (issue 13, item 1): is ``Extractor.extract`` linear?

Synthetic articles of 10 KB, 100 KB, 1 MB and 5 MB are built by repeating the paragraphs of
``tests/data/*.txt`` (real consumer-health prose) under one title; each is parsed with
``kg.article.parse_article`` and extracted with the default extractor (no parse cache, so
every sentence is parsed). Reports seconds per MB at each size and the ratio to the 10 KB
figure measured in the same run (1.0 is linear); the 10 KB and 100 KB figures are medians of
``--repeat`` runs, the larger sizes one run each. Writes ``bench/results/extract_scale.json``.
Run: ``python -m bench.extract_scale [--sizes 10,100,1000,5000] [--repeat 3]`` (sizes in KB).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import log, machine, median, write_json
from kg.article import parse_article
from kg.extract import Extractor
from kg.namespaces import Minter

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
BASE = "https://healthkg.example.org/"


def paragraphs() -> list[str]:
    """Body paragraphs of the test articles (titles and bylines left out)."""
    out = []
    for path in sorted(DATA.glob("*.txt")):
        blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n")]
        out.extend(b for b in blocks[1:] if len(b) > 120 and b.endswith("."))
    return out


def synthetic_article(size: int) -> bytes:
    """A plain-text article of about ``size`` bytes: a title, then repeated real paragraphs."""
    parts, total, source = ["Hair Loss, Thyroid and Iron: A Long Guide"], 0, paragraphs()
    i = 0
    while total < size:
        parts.append(source[i % len(source)])
        total += len(parts[-1]) + 2
        i += 1
    return "\n\n".join(parts).encode()


def time_extract(extractor: Extractor, data: bytes) -> tuple[float, int, int]:
    """Seconds to parse and extract one article; its mention and claim counts."""
    started = time.perf_counter()
    article = parse_article(data, "scale.txt")
    extraction = extractor.extract(article, Minter(BASE))
    seconds = time.perf_counter() - started
    return seconds, len(extraction.mentions), len(extraction.claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,100,1000,5000", help="sizes in KB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    extractor = Extractor.default()
    time_extract(extractor, synthetic_article(2000))  # load spaCy and the vocabulary first
    rows = []
    for kb in (int(s) for s in args.sizes.split(",")):
        data = synthetic_article(kb * 1000)
        runs = [time_extract(extractor, data) for _ in range(args.repeat if kb <= 100 else 1)]
        seconds = median([r[0] for r in runs])
        mb = len(data) / 1e6
        rows.append({"kb": kb, "bytes": len(data), "seconds": round(seconds, 3),
                     "s_per_mb": round(seconds / mb, 3), "mentions": runs[0][1], "claims": runs[0][2],
                     "runs": len(runs)})
        log(f"{kb} KB: {seconds:.2f} s, {seconds / mb:.2f} s/MB, {runs[0][2]} claims")
    baseline = rows[0]["s_per_mb"]
    for row in rows:
        row["ratio_to_baseline"] = round(row["s_per_mb"] / baseline, 3)
    path = write_json("extract_scale.json", {"machine": machine(), "baseline_kb": rows[0]["kb"], "sizes": rows})
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
