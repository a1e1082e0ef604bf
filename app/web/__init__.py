"""The reference web client: static pages served by the app, using only the public API."""
