"""Question -> cited answer: checks, condense, search, answerers, citation validation, the chain (step 3)."""
