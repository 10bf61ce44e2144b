"""The checkout blueprint: contact and address, shipping and coupon, payment."""
