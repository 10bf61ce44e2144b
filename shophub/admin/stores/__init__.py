"""Platform pages: the stores of the installation, for platform owners."""
