"""The bundled lists: (list key, list name, items), each item (id, title, minutes, recurrence).

Ids are stable: completions are stored against them, so a title may be reworded here but an id
never reused for something else. Each list can be switched off in ``[checklist_settings]``.
"""

from __future__ import annotations

BuiltinItem = tuple[str, str, int, str]

LISTS: tuple[tuple[str, str, tuple[BuiltinItem, ...]], ...] = (
    ("profile", "Profile", (
        ("linkedin-photo", "LinkedIn: a current, clear profile photo", 10, "quarterly"),
        ("linkedin-banner", "LinkedIn: a banner that says what you work on", 15, "quarterly"),
        ("linkedin-summary", "LinkedIn: improve the summary by one sentence", 5, "weekly"),
        ("linkedin-experience", "LinkedIn: one experience entry with numbers (data size, speed-up, metric)", 15,
         "monthly"),
        ("resume-refresh", "Résumé: add the latest project, with its result", 20, "monthly"),
        ("github-readme", "GitHub: update the profile README", 15, "monthly"),
        ("github-pinned", "GitHub: pin the repositories that show your best work", 10, "quarterly"),
        ("portfolio-page", "Portfolio page: add or refresh one project", 30, "monthly"),
    )),
    ("community", "Community", (
        ("answer-question", "Answer one Stack Overflow / Cross Validated / forum question", 20, "weekly"),
        ("read-notebook", "Read one high-quality Kaggle notebook or library example", 20, "weekly"),
        ("try-library", "Try a library you bookmarked", 30, "monthly"),
    )),
    ("while-it-trains", "While it trains", (
        ("run-question", "Write down the question this run answers", 5, "per run"),
        ("plan-next-batch", "Plan the next batch of 5-10 experiments", 15, "per run"),
        ("tuning-script", "Extend the tuning script", 20, "weekly"),
        ("pipeline-test", "Add a unit test to the data pipeline", 20, "weekly"),
        ("progress-note", "Write the progress note", 10, "per run"),
    )),
)
