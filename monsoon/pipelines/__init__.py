"""Assemble stages into datatrove pipelines and run them."""
