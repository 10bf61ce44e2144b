"""Forms of the store pages: coupons, shipping methods and settings (rules are in store_admin)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from shophub.admin.store.service import currency_choices
from shophub.core.coupons import COUPON_KINDS


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
