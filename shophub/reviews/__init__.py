"""Reviews and ratings from verified buyers: submission, moderation, what the shop shows."""
