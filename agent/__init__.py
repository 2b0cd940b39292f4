"""Human surfaces of tuning-agent: the CLI, the terminal chat, the LLM factory and prompts."""

__version__ = "0.1.0"
