"""Forms of the store pages: coupons, shipping methods, settings, domains and payment keys
(their rules are in store_admin and shophub.stores)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from shophub.admin.store.service import currency_choices
from shophub.core.coupons import COUPON_KINDS
from shophub.web.forms import cleaned


class CouponForm(FlaskForm):
    """A coupon: its code, what it gives and when and how often it may be used."""

    code = StringField("Code", validators=[Optional(), Length(max=60)],
                       description="Letters, digits, “-” and “_”; stored in capitals.")
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    kind = SelectField("Gives",
                       choices=[SelectChoice(key, label) for key, label in COUPON_KINDS.items()])
    value = StringField("Value", validators=[Optional(), Length(max=30)],
                        description="Percent off: a whole number from 1 to 100. Fixed amount: "
                                    "the amount off, e.g. 5.00. Not used for free shipping.")
    min_subtotal = StringField("Minimum subtotal", validators=[Optional(), Length(max=30)],
                               description="Leave empty for no minimum.")
    starts = DateField("Starts on", validators=[Optional()],
                       description="Works from the start of this day (UTC).")
    ends = DateField("Ends on", validators=[Optional()],
                     description="Stops working at the start of this day (UTC).")
    usage_limit = IntegerField("Uses in all", validators=[Optional()],
                               description="Leave empty for no limit.")
    per_customer_limit = IntegerField("Uses per customer", validators=[Optional()],
                                      description="Leave empty for no limit.")
    active = BooleanField("Active", default=True)


class ShippingForm(FlaskForm):
    """A shipping method and its price."""

    name = StringField("Name", validators=[Optional(), Length(max=120)])
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    price = StringField("Price", validators=[Optional(), Length(max=30)])
    free_over = StringField("Free for orders of at least", validators=[Optional(), Length(max=30)],
                            description="Goods after discounts; leave empty to always charge.")
    position = IntegerField("Position", validators=[Optional()], default=0,
                            description="Lower numbers come first at checkout.")
    active = BooleanField("Offered at checkout", default=True)


class SettingsForm(FlaskForm):
    """The store's run-time settings."""

    store_name = StringField("Store name", validators=[Optional(), Length(max=120)])
    currency = SelectField(
        "Currency", choices=[SelectChoice(code, label) for code, label in currency_choices()])
    tax_rate = StringField("Tax rate (%)", validators=[Optional(), Length(max=20)],
                           description="Up to 2 decimals, e.g. 8.25.")
    low_stock_threshold = IntegerField("Low-stock threshold", validators=[Optional()],
                                       description="The dashboard lists variants at or below it.")
    reservation_minutes = IntegerField("Reservation minutes", validators=[Optional()],
                                       description="How long an unpaid order holds its stock "
                                                   "(5 to 1440).")
    max_units_per_variant = IntegerField("Units of one item per cart", validators=[Optional()],
                                         description="The most of one variant a shopper may "
                                                     "put in a cart (1 to 99).")
    max_pending_orders = IntegerField("Unpaid orders per shopper", validators=[Optional()],
                                      description="How many unpaid orders, each holding its "
                                                  "stock, one browser or network may have at "
                                                  "once (1 to 100).")
    recovery_reminders = BooleanField("Remind a buyer whose checkout waits for payment, "
                                      "while the items are held")
    recovery_restore_cart = BooleanField("Send a \"restore my cart\" link after the hold "
                                         "lapsed")
    recovery_back_in_stock = BooleanField("Offer \"notify me\" on sold-out items, and mail "
                                          "when they are back")


class DomainForm(FlaskForm):
    """A host name to add to the store."""

    host = StringField("Host name", validators=[DataRequired(), Length(max=253)],
                       filters=[cleaned],
                       description="For example shop.example.com: the name alone, without "
                                   "https://, a path or a port. Point its DNS at this "
                                   "installation too.")


class PaymentKeysForm(FlaskForm):
    """The store's Stripe keys; an empty secret field keeps the stored secret."""

    secret_key = PasswordField("Secret key", validators=[Optional(), Length(max=255)],
                               description="sk_live_…, sk_test_…, or a restricted key rk_…. "
                                           "Leave empty to keep the stored one.")
    publishable_key = StringField("Publishable key", validators=[Optional(), Length(max=255)],
                                  filters=[cleaned],
                                  description="pk_live_… or pk_test_…, of the same mode as "
                                              "the secret key.")
    webhook_secret = PasswordField("Webhook signing secret",
                                   validators=[Optional(), Length(max=255)],
                                   description="whsec_… of the Stripe endpoint that sends "
                                               "events to this store's /webhooks/stripe. "
                                               "Leave empty to keep the stored one.")
