"""A plain class of the app's own, stored in sessions by the "instance of an app's class" case.

Pickle writes it as a global (``djproject.shop.cart.CartItem``) plus its ``__dict__`` state,
which is what a session holding an application object looks like on the wire.
"""


class CartItem:
    """One cart line. Its pickled state is its ``__dict__``."""

    def __init__(self, sku, qty, price_cents):
        self.sku = sku
        self.qty = qty
        self.price_cents = price_cents

    def __eq__(self, other):
        return type(other) is CartItem and self.__dict__ == other.__dict__

    def __repr__(self):
        return f"CartItem({self.sku!r}, {self.qty!r}, {self.price_cents!r})"
