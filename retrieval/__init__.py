"""The newsbot library: sources -> indexing -> answering, behind one `Engine` (retrieval/engine.py). Never imports bot/."""
