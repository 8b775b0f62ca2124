"""The ``healthkg`` command line: a thin layer over importable functions."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from api.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in (("data_dir", getattr(args, "data_dir", None)),
                                   ("base_iri", getattr(args, "base_iri", None))) if v is not None}
    return Settings(**overrides)


def cmd_build(args: argparse.Namespace) -> int:
    from api.build import BuildConfig, Builder
    from kg.errors import HealthKGError

    settings = _settings(args)
    config = BuildConfig(Path(args.dir or settings.articles_dir), settings.data_dir, settings.base_iri,
                         strict=args.strict, progress=not args.quiet, max_sentence_chars=settings.max_sentence_chars,
                         shacl_max_triples=settings.shacl_max_triples)
    try:
        report = Builder(config, settings.encoder(),
                         store_factory=_store_factory(settings)).run()
    except HealthKGError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    for err in report.errors:  # an article skipped, or one built with a part over a limit ("limit" names it)
        print(f"{'' if 'limit' in err else 'skipped '}{err['file']}: {err['reason']}", file=sys.stderr)
    for name, problems in report.violations.items():
        print(f"SHACL: {name}: {len(problems)} violations, e.g. {problems[0]}", file=sys.stderr)
    print(report.summary())
    return 0


def _store_factory(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.store != "sparql":
        return None
    from kg.sparql_store import SparqlGraphStore

    store = SparqlGraphStore.from_settings(settings)
    return lambda _path, _previous: store


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from kg.errors import HealthKGError

    settings = _settings(args)
    app = create_app(settings, warm=True)
    try:  # before uvicorn: a generation that cannot serve is one message, not a lifespan traceback
        app.state.hk.startup()
    except HealthKGError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    # h11, not httptools: httptools drops the body of a POST that asks to upgrade to h2c
    # (Java's HttpClient, hence Jena, sends "Upgrade: h2c" on every request; uvicorn #2722).
    uvicorn.run(app, host=args.host or settings.host, port=args.port if args.port is not None else settings.port,
                http="h11", h11_max_incomplete_event_size=settings.max_header_bytes)  # + the app's own 431
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from kg.evaluate import evaluate_dir, format_report

    report = evaluate_dir(Path(args.dir), base_iri=_settings(args).base_iri)
    print(json.dumps(report, indent=1) if args.json else format_report(report))
    return 0


def cmd_eval_search(args: argparse.Namespace) -> int:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.evaluate_search import evaluate_search, format_table
    from api.search import SearchService

    settings = _settings(args)
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: loads the current generation
        report = evaluate_search(SearchService(app.state.hk), Path(args.file), settings.base_iri)
    print(json.dumps(report, indent=1) if args.json else format_table(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="healthkg", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="overrides HEALTHKG_DATA_DIR")
    parser.add_argument("--base-iri", help="overrides HEALTHKG_BASE_IRI")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the graph and the index from a directory of articles")
    b.add_argument("dir", nargs="?", help="articles directory (default HEALTHKG_ARTICLES_DIR)")
    b.add_argument("--strict", action="store_true", help="an unreadable article fails the build")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("serve", help="serve the API")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)
    e = sub.add_parser("eval", help="claim precision/recall against NAME.expected.json files")
    e.add_argument("dir")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)
    es = sub.add_parser("eval-search", help="nDCG@10, recall@10, MRR of dense, bm25 and hybrid on labelled queries")
    es.add_argument("file")
    es.add_argument("--json", action="store_true")
    es.set_defaults(func=cmd_eval_search)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
