"""The lexical index: BM25 over sentences (``bm25s``), built and swapped with the vector index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

IRIS_FILE = "iris.json"


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False,  # type: ignore[no-any-return]
                          show_progress=False)


class LexicalIndex:
    """BM25 ranking of sentence IRIs; words the corpus never saw simply score 0."""

    def __init__(self, retriever: Any, iris: list[str]) -> None:
        self.retriever = retriever
        self.iris = iris

    @classmethod
    def build(cls, texts: list[str], iris: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, list(iris))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if not self.iris:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.iris)), show_progress=False)
        return [(self.iris[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.iris:
            self.retriever.save(str(directory))
        (directory / IRIS_FILE).write_text(json.dumps(self.iris))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        iris = json.loads((directory / IRIS_FILE).read_text())
        retriever = bm25s.BM25.load(str(directory), mmap=True) if iris else bm25s.BM25()
        return cls(retriever, iris)
