"""Practice: LeetCode problem lists (the NeetCode 150 bundled), attempts, spaced review with fsrs,
and picking a problem that fits the minutes left.

Headless: :mod:`lists` reads the bundled and user lists, :mod:`progress` stores attempts and the
fsrs card of each problem, :mod:`pick` chooses the next problem and computes the stats.
"""
