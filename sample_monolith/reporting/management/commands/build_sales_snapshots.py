from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.services import build_snapshots


class Command(BaseCommand):
    help = "Compute the daily sales snapshots of a date range (default: yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="last day, YYYY-MM-DD (default: start)")
        parser.add_argument("--days", type=int, help="the N days before today")

    def handle(self, *args, start=None, end=None, days=None, **options):
        today = timezone.localdate()
        if days is not None:
            if days < 1:
                raise CommandError("--days must be at least 1")
            if start or end:
                raise CommandError("use either --days or --start/--end")
            start, end = today - timedelta(days=days), today - timedelta(days=1)
        start = start or today - timedelta(days=1)
        end = end or start
        if end < start:
            raise CommandError("--end is before --start")
        built = build_snapshots(start, end)
        for snapshot in built:
            self.stdout.write(str(snapshot))
        self.stdout.write(self.style.SUCCESS(f"{len(built)} snapshot(s) built"))
