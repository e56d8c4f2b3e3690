"""Plans in and out: reading tables (parsing), importing them (importing), exporting
plans and positions (exporting), and the admin's import-export resources (resources)."""
