"""Cart blueprint."""
