"""Alerts: run state changes -> short messages -> channels that reach the person."""
