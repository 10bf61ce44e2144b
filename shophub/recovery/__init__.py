"""Recovery mails: the reminder of a held checkout, "restore my cart" after the hold lapsed,
and "back in stock" for those who asked about a sold-out variant."""
