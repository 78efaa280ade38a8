"""Article -> stored, searchable units: sentences, chunks, vectors in Chroma (step 2 of the data path)."""
