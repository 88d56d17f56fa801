"""The Streamlit pages. Each view module exposes ``render()``; ``app.py`` navigates between them."""
