"""Example and synthetic data: the two example plans with the 2024 plan's committee report
(`load_examples`), synthetic plans at council scale (`make_synthetic`) and the demo users
(`create_demo_users`). The one app that may import every other: it writes plans, audits
and reporting data alike, and none of them imports it."""
