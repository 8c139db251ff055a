from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.services import add_address, register_user
from catalog.services import create_category, create_product
from inventory.services import create_warehouse, receive_stock
from pricing.services import create_coupon, create_discount, create_price_list, set_price
from shipping.services import add_shipping_method

CATEGORIES = [
    ("Electronics", "electronics", None),
    ("Audio", "audio", "electronics"),
    ("Computers", "computers", "electronics"),
    ("Books", "books", None),
    ("Kitchen", "kitchen", None),
]

# sku, name, category, price, stock in main, stock in backup, tags
PRODUCTS = [
    ("HP-100", "Studio Headphones", "audio", "59.90", 25, 10, ["wireless"]),
    ("SP-200", "Bookshelf Speaker", "audio", "120.00", 4, 6, []),
    ("KB-310", "Mechanical Keyboard", "computers", "89.00", 12, 0, ["usb"]),
    ("MS-320", "Silent Mouse", "computers", "24.50", 40, 20, ["usb", "wireless"]),
    ("BK-300", "A Quiet Novel", "books", "12.50", 3, 0, ["fiction"]),
    ("BK-301", "Cooking for Two", "books", "22.00", 8, 2, ["cooking"]),
    ("KT-400", "Cast Iron Pan", "kitchen", "45.00", 6, 6, ["cooking"]),
    ("KT-401", "Pour-over Coffee Set", "kitchen", "34.90", 0, 5, []),
]


class Command(BaseCommand):
    help = "Fill an empty database with a demo catalogue, stock, a customer (alice) and a staff user (sam)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-password-123", help="password of both demo users")

    @transaction.atomic
    def handle(self, *args, password: str, **options):
        if get_user_model().objects.filter(username__in=["alice", "sam"]).exists():
            raise CommandError("the demo data is already there")
        categories = {slug: create_category(name, slug, parent_slug=parent) for name, slug, parent in CATEGORIES}
        create_price_list("retail", "Retail", is_default=True)
        create_warehouse("main", "Main warehouse", city="Lyon", priority=1)
        create_warehouse("backup", "Overflow store", city="Lille", priority=5)
        for sku, name, category, price, main, backup, tags in PRODUCTS:
            product = create_product(sku=sku, name=name, category_slug=category, tags=tags)
            set_price(product.pk, Decimal(price))
            for warehouse, quantity in (("main", main), ("backup", backup)):
                if quantity:
                    receive_stock(product.pk, warehouse, quantity, reference="SEED")
        add_shipping_method("standard", "Standard", carrier_code="laposte", price=Decimal("4.90"), free_over=Decimal("100"))
        add_shipping_method("express", "Express", carrier_code="dhl", price=Decimal("12.00"), min_days=1, max_days=2)
        create_coupon("WELCOME10", value=Decimal("10"))
        create_discount("Kitchen week", Decimal("15"), category_ids=[categories["kitchen"].pk])
        alice = register_user("alice", "alice@example.com", password, first_name="Alice")
        add_address(alice, full_name="Alice Martin", line1="3 rue des Lilas", city="Lyon", postcode="69003")
        sam = register_user("sam", "sam@example.com", password, first_name="Sam")
        sam.is_staff = sam.is_superuser = True
        sam.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(self.style.SUCCESS(f"{len(PRODUCTS)} products; users alice and sam (password {password!r})"))
