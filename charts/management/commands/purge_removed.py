"""Delete the charts moderators removed more than A2D_REMOVED_RETENTION_DAYS ago, with their files.

The workers run it once a day (charts.worker.ChartWorker); cron may run it too.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from charts.services import purge_removed


class Command(BaseCommand):
    help = "Delete removed chart versions (and their files) past the retention period."

    def handle(self, *args, **options) -> None:
        count = purge_removed()
        self.stdout.write(f"Purged {count} chart version{'s' if count != 1 else ''} removed more than "
                          f"{settings.A2D_REMOVED_RETENTION_DAYS} days ago.")
