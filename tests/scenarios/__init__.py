"""Scripted conversations (issue #12): what a person types, turn by turn, and what they would expect."""
