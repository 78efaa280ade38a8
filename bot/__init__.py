"""Thin front ends (the `newsbot` CLI and the Discord bot): parse input, call `retrieval.engine.Engine`, render."""
