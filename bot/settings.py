"""Settings, read from the environment and `.env`; the only place configuration is read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of briefbot; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Path("data")
    chroma_host: str = ""
    chroma_port: int = 8000
    embedding_model: str = ""
    embedding_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    embedding_backend: Literal["onnx", "int8", "torch"] = "onnx"
    max_download_bytes: int = 10_000_000
    fetch_timeout: float = 20.0
    fetch_deadline: float = 60.0
    allow_private_hosts: str = ""
    max_citations: int = 3
    min_relevance: float = 1.16
    log_level: str = "WARNING"
    telegram_bot_token: str = ""
    telegram_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8080
    telegram_concurrency: int = 16
    ingest_concurrency: int = 2
    rate_limit_questions: int = 20
    rate_limit_ingests: int = 5
    question_retention_days: float = 30.0
    allowed_chat_ids: str = ""
    admin_user_ids: str = ""
    alert_interval: float = 30.0
    inbox_interval: float = 5.0
    feed_interval: float = 600.0
    digest_timezone: str = "UTC"
    llm_provider: Literal["none", "openai", "local"] = "none"
    llm_model: str = ""  # openai: the model's name; local: the path of a GGUF file
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_threads: int = 1
    llm_max_tokens: int = 200
    llm_sources: int = 6

    @field_validator("digest_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}; use a name like Europe/Kyiv") from e
        return value

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def catalogue_path(self) -> Path:
        """The catalogue (registry and lexical index) beside the vectors, shared by every
        process that uses this data directory, in embedded and in server mode alike."""
        return self.data_dir / "catalogue.db"

    @property
    def private_hosts(self) -> tuple[str, ...]:
        """Hosts or networks that URL ingest may reach although they are private."""
        return tuple(h.strip() for h in self.allow_private_hosts.split(",") if h.strip())


# Models load from disk only (the bundled one, a trained reader): huggingface_hub and
# transformers read these when first imported, so every entry point sets them first.
OFFLINE_MODEL_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def use_offline_models() -> None:
    """Switch this process to offline model loading (before transformers is imported)."""
    os.environ.update(OFFLINE_MODEL_ENVIRONMENT)


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a child process of ours (a benchmark step, the Chroma server): this
    process's, offline, with extra keys on top."""
    return {**os.environ, **OFFLINE_MODEL_ENVIRONMENT, **extra}
