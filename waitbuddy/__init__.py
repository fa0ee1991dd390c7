"""waitbuddy: a terminal companion for people who train machine learning models."""

__version__ = "0.1.0"
