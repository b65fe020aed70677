"""Statistical adapters the entry points wire into the services (survival analysis)."""
