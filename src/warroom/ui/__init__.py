"""The Textual console: a thin shell over the headless core."""
