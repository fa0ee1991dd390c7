"""The reading backlog: items, URL rules, importers, page metadata and triage (no Textual here)."""
