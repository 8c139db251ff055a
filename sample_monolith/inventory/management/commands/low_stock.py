from django.conf import settings
from django.core.management.base import BaseCommand

from inventory.services import low_stock


class Command(BaseCommand):
    help = "List active products whose available stock is at or below a threshold."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threshold", type=int, default=settings.INVENTORY_LOW_STOCK_THRESHOLD, help="units (default: setting)"
        )

    def handle(self, *args, threshold: int, **options):
        rows = low_stock(threshold)
        if not rows:
            self.stdout.write(self.style.SUCCESS(f"No product at or below {threshold} units."))
            return
        for row in rows:
            self.stdout.write(f"{row['sku']:<12} {row['available']:>5}  {row['name']}")
