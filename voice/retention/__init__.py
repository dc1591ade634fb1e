"""Retention and redaction per organization (README "Retention and redaction")."""
