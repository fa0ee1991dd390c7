"""Today's LeetCode daily question: best-effort, never required, cached for the day.

The endpoint is LeetCode's unofficial GraphQL (``POST https://leetcode.com/graphql``, the public
``questionOfToday`` query); it can change, and it may answer with an HTML challenge page instead of
JSON. Any failure (timeout, HTTP error, HTML, a shape we do not know) gives None: the question is
then silently absent. A success is kept in the settings table for the local day; a failure is
remembered for :data:`RETRY_SECONDS` so a broken endpoint is not asked at every load. Never a login.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from waitbuddy.practice.lists import DIFFICULTIES, URL_TEMPLATE, slug_of
from waitbuddy.text import safe_line

ENDPOINT = "https://leetcode.com/graphql"
SETTING = "practice.daily"
TIMEOUT_SECONDS = 5.0
RETRY_SECONDS = 3600.0
QUERY = """query questionOfToday {
  activeDailyCodingChallengeQuestion {
    date link
    question { questionFrontendId title titleSlug difficulty isPaidOnly }
  }
}"""


@dataclass(frozen=True)
class Daily:
    day: str  # LeetCode's date, YYYY-MM-DD
    slug: str
    title: str
    difficulty: str
    premium: bool = False

    @property
    def url(self) -> str:
        return URL_TEMPLATE.format(slug=self.slug)


def parse(body: bytes, content_type: str) -> Daily | None:
    """The daily question in a GraphQL answer, or None for anything else (an HTML challenge page)."""
    if "json" not in content_type.lower():
        return None
    try:
        found: Any = json.loads(body)["data"]["activeDailyCodingChallengeQuestion"]
        question = found["question"]
        slug = slug_of(str(question["titleSlug"]))
        difficulty = str(question["difficulty"]).capitalize()
        day = date.fromisoformat(str(found["date"])[:10]).isoformat()
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if slug is None or difficulty not in DIFFICULTIES:
        return None
    return Daily(day, slug, safe_line(str(question.get("title") or slug), limit=200), difficulty,
                 bool(question.get("isPaidOnly")))


def fetch(client: Any, url: str = ENDPOINT, *, timeout: float = TIMEOUT_SECONDS) -> Daily | None:
    """Ask once (no retries, ``timeout`` seconds in all); None on any failure."""
    try:
        response = client.request("POST", url, json={"query": QUERY, "variables": {},
                                                     "operationName": "questionOfToday"},
                                  headers={"Referer": "https://leetcode.com", "Content-Type": "application/json"},
                                  retry=False, budget=timeout, max_bytes=256 * 1024, max_wait=0.0)
        return parse(response.body, response.headers.get("Content-Type") or "")
    except Exception:  # noqa: BLE001 - best effort: any failure means no daily question
        return None


def today(store: Any, client: Any, day: date, *, url: str = ENDPOINT, timeout: float = TIMEOUT_SECONDS,
          now: float | None = None) -> Daily | None:
    """The daily question for local ``day``: from the cache, else asked (and cached)."""
    now = time.time() if now is None else now
    try:
        cached = json.loads(store.get_setting(SETTING) or "{}")
    except ValueError:
        cached = {}
    if cached.get("for") == day.isoformat():
        if cached.get("daily"):
            try:
                return Daily(**cached["daily"])
            except TypeError:
                pass
        elif now - float(cached.get("failed_at") or 0) < RETRY_SECONDS:
            return None
    found = fetch(client, url, timeout=timeout)
    record: dict[str, Any] = {"for": day.isoformat()}
    record.update({"daily": asdict(found)} if found else {"failed_at": now})
    store.set_setting(SETTING, json.dumps(record))
    return found
