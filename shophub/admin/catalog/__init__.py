"""Admin catalog: products and their variants and pictures, categories and home banners."""
