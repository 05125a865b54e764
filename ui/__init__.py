"""The web chat (Gradio) over the public assistant API."""
