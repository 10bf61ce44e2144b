"""SQLAlchemy models, one module per aggregate."""

from shophub.models.cart import Cart, CartItem
from shophub.models.catalog import (
    Banner,
    Category,
    OptionList,
    OptionValue,
    Product,
    ProductImage,
    Variant,
    VariantOption,
)
from shophub.models.jobs import PendingJob
from shophub.models.mail import SentMail
from shophub.models.newsletter import Campaign, CampaignDelivery, Subscriber
from shophub.models.orders import (
    AuditEntry,
    Order,
    OrderItem,
    Payment,
    ProcessedEvent,
    Refund,
)
from shophub.models.promotions import (
    Coupon,
    CouponRedemption,
    DemoIntent,
    ShippingMethod,
    StoreSettings,
)
from shophub.models.recovery import BackInStockRequest
from shophub.models.reviews import Review
from shophub.models.stores import Store, StoreDomain, StoreMembership, StoreOwned
from shophub.models.users import (
    Address,
    PasswordResetToken,
    SignupToken,
    StaffInvite,
    User,
    WishlistItem,
)
from shophub.models.webhooks import WebhookFailure

__all__ = [
    "Address", "AuditEntry", "Banner", "Cart", "CartItem", "Category", "Coupon",
    "CouponRedemption", "DemoIntent", "OptionList", "OptionValue", "Order", "OrderItem",
    "PasswordResetToken", "Payment", "PendingJob", "ProcessedEvent", "Product", "ProductImage",
    "Refund", "Review", "SentMail", "ShippingMethod", "SignupToken", "StaffInvite", "Store",
    "StoreDomain", "StoreMembership", "StoreOwned", "StoreSettings", "User", "Variant",
    "VariantOption", "WebhookFailure", "WishlistItem",
    "Campaign", "CampaignDelivery", "Subscriber",
    "BackInStockRequest",
]
