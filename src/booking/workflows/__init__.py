"""Flows that cross domain packages, one module per flow.

A domain package never imports a higher one (pyproject's import-linter contract); when one
operation must change two packages together (cancel an offering and refund its seats;
register and open the card checkout), the flow lives here and calls each package's own
functions, inside one transaction where the operation needs one.
"""
