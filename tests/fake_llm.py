"""A scripted chat model that records every input, for LLM-role tests.

It subclasses LangChain's BaseChatModel and supports `with_structured_output`, which is
all the graph's advisor uses. `answers` maps a schema name to a function of the prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, Field


class RecordingFakeLLM(BaseChatModel):
    answers: dict[str, Callable[[str], Any]] = Field(default_factory=dict)
    calls: list[tuple[str, str]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording-fake"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "\n".join(str(m.content) for m in messages)
        self.calls.append(("text", text))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:  # type: ignore[override]
        def call(prompt: Any) -> Any:
            text = prompt if isinstance(prompt, str) else str(prompt)
            self.calls.append((schema.__name__, text))
            make = self.answers.get(schema.__name__)
            if make is None:
                raise RuntimeError(f"no scripted answer for {schema.__name__}")
            value = make(text)
            return value if isinstance(value, BaseModel) else schema.model_validate(value)

        return RunnableLambda(call)

    @property
    def input_tokens(self) -> int:
        """A rough count (4 characters per token), enough to hold a budget."""
        return sum(len(text) for _, text in self.calls) // 4
