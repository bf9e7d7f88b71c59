"""The auditor's case file: `python -m services.audit export|history|access` (docs/audit.md)."""
