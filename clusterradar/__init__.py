"""Clusterradar: classify German cluster initiatives by SVI / dual-use relevance."""

__version__ = "0.1.0"
