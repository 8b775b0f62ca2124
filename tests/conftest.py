"""Shared fixtures. In CI (CI=true) a skipped test is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from api.build import BuildConfig, Builder, BuildReport  # noqa: E402
from api.settings import Settings  # noqa: E402
from embeddings.encoder import Encoder  # noqa: E402
from tests.paths import BASE_IRI, SEED  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"a skipped test fails in CI: {report.longrepr}"


class CountingEncoder(Encoder):
    """The real encoder, counting the texts each build asks it to encode."""

    calls: list[int]

    def encode(self, texts: list[str], progress: bool = False):  # type: ignore[no-untyped-def]
        self.calls = getattr(self, "calls", [])
        self.calls.append(len(texts))
        return super().encode(texts, progress)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """One loaded model for the whole session (loading takes seconds)."""
    enc = CountingEncoder()
    enc.encode(["warm up"])
    return enc


def build_corpus(articles: Path, data_dir: Path, encoder: Encoder, **kw: object) -> BuildReport:
    config = BuildConfig(articles, data_dir, BASE_IRI, **kw)  # type: ignore[arg-type]
    return Builder(config, encoder).run()


def built_search_corpus(root: Path, names: tuple[str, ...], encoder: Encoder, seed_settings: Settings,
                        **settings: object) -> Settings:
    """The seed plus ``names`` from tests/data, built (SHACL off) into a data dir primed with the
    seed build's caches; the settings that serve it."""
    from tests.paths import DATA
    from tests.support import primed_data_dir

    articles = root / "articles"
    articles.mkdir()
    (articles / SEED.name).write_bytes(SEED.read_bytes())
    for name in names:
        (articles / name).write_bytes((DATA / name).read_bytes())
    data = primed_data_dir(root / "build", seed_settings.data_dir)
    build_corpus(articles, data, encoder, validate=False)
    return Settings(articles_dir=articles, data_dir=data, base_iri=BASE_IRI, sparql_workers=1, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Settings:
    """Settings of a data dir holding a built generation of the seed article."""
    root = tmp_path_factory.mktemp("seed")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    build_corpus(articles, root / "build", encoder)
    return Settings(articles_dir=articles, data_dir=root / "build", base_iri=BASE_IRI, sparql_workers=1,
                    reload_interval=0.2)
