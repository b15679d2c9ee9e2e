"""quarterly stage."""
