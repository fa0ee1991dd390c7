"""Feeds: RSS/Atom sources, arXiv categories and searches, OPML, and ranking by what you keep.

Headless (stdlib + feedparser): :mod:`sources` reads what a user types, :mod:`parse` turns fetched
bytes into safe :class:`~waitbuddy.feeds.model.FeedItem` rows, :mod:`arxiv` adds arXiv ids, announce
types and links and dedupes papers, :mod:`opml` imports and exports subscriptions, :mod:`rank`
scores items by the person's saves, reads and dismissals. Nothing here fetches, stores or draws.
"""
