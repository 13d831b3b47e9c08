"""A GGUF chat model run in this process by xllamacpp (llama.cpp), as a LangChain chat model.

xllamacpp is an optional extra (`pip install '.[local-llm]'`): a prebuilt llama.cpp wheel, so
nothing is compiled or downloaded. Its embedded server takes OpenAI-style requests in process;
a request streams its chunks to a callback, which runs in a thread of ours so that a reader can
stop waiting after `timeout` seconds without a piece (the generation itself ends at its token
limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from retrieval.answering.background_stream import background_stream
from retrieval.errors import BriefbotError

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LocalChatModel(BaseChatModel):
    """llama.cpp on a GGUF file, in this process. Build it with `LocalChatModel.load`."""

    path: str
    threads: int = 1
    max_tokens: int = 200
    timeout: float = 30.0
    context: int = 2048
    _server: Any = PrivateAttr(default=None)

    @classmethod
    def load(cls, path: str | Path, **fields: Any) -> LocalChatModel:
        """Load the model file now, so that a bad path fails at start-up with a clear error."""
        file = Path(path)
        if not file.is_file():
            raise BriefbotError(f"LLM_MODEL {file} is not a file; give the path of a .gguf model")
        try:
            import xllamacpp
        except ImportError as e:
            raise BriefbotError(
                "LLM_PROVIDER=local needs the local-llm extra: pip install '.[local-llm]'"
            ) from e
        model = cls(path=str(file), **fields)
        params = xllamacpp.CommonParams()
        params.model.path = str(file)
        params.n_ctx = model.context
        params.n_predict = model.max_tokens
        params.cpuparams.n_threads = model.threads
        params.cpuparams_batch.n_threads = model.threads
        params.warmup = False
        params.sampling.temp = 0.0
        params.verbosity = 0  # llama.cpp logs every request on stdout otherwise
        try:
            model._server = xllamacpp.Server(params)
        except Exception as e:
            raise BriefbotError(f"LLM_MODEL {file} could not be loaded ({type(e).__name__})") from e
        return model

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def address(self) -> str:
        """The OpenAI-compatible HTTP address llama.cpp's server listens on (127.0.0.1)."""
        return str(self._server.listening_address)

    def _request(self, messages: list[BaseMessage], stream: bool) -> dict[str, Any]:
        return {
            "messages": [
                {"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages
            ],
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
            "stream": stream,
        }

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stream=True)
        for item in background_stream(
            lambda put: self._server.handle_chat_completions(request, put),
            wait=lambda: self.timeout,
            too_slow=f"no text from the local model in {self.timeout:g} s",
            name="local-llm",
        ):
            if "error" in item:
                raise BriefbotError(f"the local model failed: {item['error']}")
            for choice in item.get("choices", ()):
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(str(c.message.content) for c in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
