"""Staff moderation of reviews: the filtered table, one review, publish, hide and reply."""
