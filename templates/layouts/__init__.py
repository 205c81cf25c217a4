"""Package data: the built-in email layouts (a package so that setuptools ships its *.html)."""
