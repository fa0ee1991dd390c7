"""Training-log understanding: tail -> screen -> formats -> run state."""
