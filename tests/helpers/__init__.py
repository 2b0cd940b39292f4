"""Shared test helpers (drivers for the graph and the server live beside them in tests/)."""
