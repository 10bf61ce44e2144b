"""Admin payments: the payment-health page (webhooks, their failures, reconciliation, outbox)."""
