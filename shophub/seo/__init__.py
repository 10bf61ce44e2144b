"""Being found: canonical links, titles and descriptions, structured data, the sitemap,
robots.txt, the store's icon, and what shared links show (social tags, share images)."""
