"""One Settings object, read once at start-up from ``HEALTHKG_*`` variables and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from embeddings.encoder import Encoder


class Settings(BaseSettings):
    """Every setting of the service and the build. Each field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="HEALTHKG_", extra="ignore")

    base_iri: str = Field("https://healthkg.example.org/", description="Base of every minted data IRI.")
    articles_dir: Path = Field(Path("data/articles"), description="Corpus the build reads.")
    data_dir: Path = Field(Path("data/build"), description="Generations of store + index, and caches.")
    model_path: str | None = Field(None, description="Sentence-transformers model dir; default: bundled all-MiniLM-L6-v2.")
    batch_size: int = Field(64, ge=1, description="Encoder batch size.")
    encoder_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx (ONNX Runtime, exported once into the data dir's cache) or torch.")
    encoder_threads: int | None = Field(
        None, ge=1, description="ONNX Runtime threads per encoder call; default: one per core.")
    max_sentence_chars: int = Field(
        2000, ge=100, le=100_000,
        description="Longest sentence kept whole; a longer one is cut into pieces (searchable, no claims) and reported.")
    shacl_max_triples: int = Field(
        100_000, ge=0, description="Largest article graph the build validates against the SHACL shapes; larger: reported.")
    host: str = Field("127.0.0.1", description="Address `healthkg serve` binds.")
    port: int = Field(8000, ge=0, le=65535, description="Port `healthkg serve` binds.")
    store: Literal["oxigraph", "sparql"] = Field("oxigraph", description="Graph store backend.")
    sparql_query_endpoint: str | None = Field(None, description="Remote store: SPARQL query URL.")
    sparql_update_endpoint: str | None = Field(None, description="Remote store: SPARQL update URL.")
    sparql_user: str | None = Field(None, description="Remote store: user for HTTP digest/basic auth.")
    sparql_password: SecretStr | None = Field(None, description="Remote store: password.")
    sparql_timeout: float = Field(10.0, gt=0, description="Seconds before a SPARQL query is cancelled (503).")
    sparql_max_rows: int = Field(100_000, ge=1, description="Cap on result rows of one SPARQL query.")
    sparql_workers: int = Field(2, ge=1, description="Query worker processes (read-only mode).")
    sparql_queue: int = Field(
        32, ge=0, description="SPARQL requests that may wait for a busy query worker; beyond, 503 at once.")
    sparql_worker_memory_mb: int = Field(
        2048, ge=0, description="Memory cap of one query worker process in MiB (0: none); over it the worker dies, 503.")
    sparql_max_depth: int = Field(
        64, ge=1, description="Deepest nesting of ( { [ in a SPARQL request; deeper is a 400 before any worker sees it.")
    sparql_max_operators: int = Field(
        1000, ge=1, description="Most UNION/OPTIONAL/FILTER/&&/+ ... operators in a SPARQL request; more is a 400.")
    sparql_service_allow: list[str] = Field(
        default_factory=list,
        description="IRI prefixes SPARQL SERVICE and LOAD may fetch from; empty: no outbound request at all.")
    update_enabled: bool = Field(False, description="Allow SPARQL Update on /sparql (needs update_token).")
    update_token: SecretStr | None = Field(None, description="Bearer token required for updates.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS.")
    cors_credentials: bool = Field(False, description="Allow credentials in CORS (never with '*').")
    max_body_bytes: int = Field(1_048_576, ge=1, description="Largest request body accepted (413 above it).")
    max_header_bytes: int = Field(
        16_384, ge=1024, description="Largest request header block accepted (names and values; 431 above it).")
    max_query_length: int = Field(1000, ge=1, description="Longest /search q accepted, in characters.")
    fusion_dense_weight: float = Field(
        1.0, ge=0, allow_inf_nan=False, description="Hybrid search: weight of the dense ranking in the fusion.")
    fusion_bm25_weight: float = Field(
        0.35, ge=0, allow_inf_nan=False, description="Hybrid search: weight of the BM25 ranking in the fusion.")
    fusion_rrf_k: int = Field(10, ge=1, description="Hybrid search: k of reciprocal-rank fusion, 1 / (k + rank).")
    answer_claims: int = Field(20, ge=1, le=1000, description="Most claims in a search answer (most relevant first).")
    answer_evidence: int = Field(20, ge=1, le=20, description="Most sentences listed per side of an answer's claim.")
    reload_interval: float = Field(2.0, ge=0, description="Seconds between checks for a new generation.")

    def encoder(self) -> Encoder:
        """The encoder these settings describe (not loaded until first used)."""
        from embeddings.encoder import Encoder

        return Encoder(self.model_path, self.batch_size, self.encoder_backend, self.data_dir / "cache" / "onnx",
                       self.encoder_threads)
