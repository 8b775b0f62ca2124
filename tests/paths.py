"""Paths and IRIs the tests use, in one place."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("HEALTHKG_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
SEED = CORPUS / "botox-hair-loss.txt"
SEED_EXPECTED = CORPUS / "botox-hair-loss.expected.json"
BASE_IRI = "https://healthkg.test/"
SEED_ARTICLE_IRI = BASE_IRI + "article/botox-hair-loss"
