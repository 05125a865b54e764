"""Whether the corpus answers a question: the confidence margin and the answer checks."""
