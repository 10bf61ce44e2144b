"""Web plumbing shared by the blueprints: HTMX answers, flashes, headers, error pages, health."""
