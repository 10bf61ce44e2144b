"""Admin orders: the order desk, its CSV export, and staff's actions on one order."""
