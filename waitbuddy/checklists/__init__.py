"""Recurring checklists with history: built-in lists (profile, community, while it trains), the
person's own ``[[checklists]]``, recurrence derived from every completion ever recorded."""
