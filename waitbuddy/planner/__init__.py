"""The wait planner and the daily update: minutes left + candidates -> a plan that fits (pure),
the timers that teach the estimates, and the standup report. Headless: never imports Textual."""
