"""Keep carts in step with the catalogue."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from cart.models import CartItem
from catalog.models import Product


@receiver(post_save, sender=Product, dispatch_uid="cart.withdrawn_product")
def drop_withdrawn_product(sender, instance, created, raw=False, **kwargs):
    """A product taken off sale leaves every cart (wishlists keep it)."""
    if not raw and not instance.is_active:
        CartItem.objects.filter(product_id=instance.pk).delete()
