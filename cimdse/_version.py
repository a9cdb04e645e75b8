"""The version of cimdse: its one definition (the package metadata reads it)."""

__version__ = "0.1.0"
