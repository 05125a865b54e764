"""Building and storing an index: passages, vectors, BM25, parallel versions and the model-
dependent calibration, saved as atomic generations.
"""
