"""Embedding models behind one Encoder protocol: the built-in e5-small (ONNX), USE multilingual,
any sentence-transformers model, the fixed text banks, and Ray.
"""
