"""The EDP engine: domain model, operations, tallies and command line. Imports no Streamlit."""

__version__ = "0.1.0"
