"""What every app may use and that knows nothing of them: shared abstract models and the
optimistic version check, chart primitives (SVG)."""
