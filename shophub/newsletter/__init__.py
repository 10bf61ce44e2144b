"""The store's newsletter: double opt-in sign-up, campaigns sent in batches, and unsubscribe."""
