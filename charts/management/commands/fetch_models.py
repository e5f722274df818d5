"""`manage.py fetch_models`: download and check every model's weights ahead of first use."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from processing import separation
from processing.weights import MODELS, MissingWeightsError, ensure_model, model_status


class Command(BaseCommand):
    help = ("Download the model weights (ADTOF Frame_RNN and CRNN folds, Spleeter 4stems) into A2D_MODEL_DIR and "
            "check them against their pinned digests.")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only report what is there; download nothing")

    def handle(self, *args, check: bool, **options):
        failed = False
        for spec in MODELS.values():
            try:
                folder = ensure_model(spec=spec, model_dir=settings.A2D_MODEL_DIR, download=not check)
                self.stdout.write(self.style.SUCCESS(f"{spec.folder}: ok in {folder} — licence: {spec.licence}"))
            except MissingWeightsError as error:
                failed = True
                status = model_status(spec=spec, model_dir=settings.A2D_MODEL_DIR)
                self.stderr.write(f"{spec.folder}: {', '.join(f'{k} {v}' for k, v in status.items())}")
                self.stderr.write(error.user_message)
        try:
            if check:
                separation.check_model_folder(model_dir=settings.A2D_MODEL_DIR)
            else:
                separation.ensure_model(model_dir=settings.A2D_MODEL_DIR)
            folder = separation.model_folder(model_dir=settings.A2D_MODEL_DIR)
            self.stdout.write(self.style.SUCCESS(f"spleeter 4stems: ok in {folder} — licence: MIT"))
        except separation.ModelMissingError as error:
            failed = True
            self.stderr.write(error.user_message)
        if failed:
            raise CommandError("Some model weights are missing.")
