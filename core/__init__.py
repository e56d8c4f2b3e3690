"""What every app may use and that knows nothing of them: chart primitives (SVG)."""
