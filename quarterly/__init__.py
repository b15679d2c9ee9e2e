"""The quarterly stage: run a quarter end to end, diff two quarters, write the change report."""
