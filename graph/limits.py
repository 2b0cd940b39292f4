"""Limits the CLI and the server share, importable without loading LangGraph (the chat's first
prompt must not wait for it)."""

#: Steps one run may take before LangGraph stops it: a turn is a handful of steps, so a loop
#: shows up at once instead of filling a disk.
RECURSION_LIMIT = 60
