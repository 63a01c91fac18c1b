"""SCOE booking platform."""
