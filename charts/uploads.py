"""Upload handling: a song file streams to disk in chunks, and one over the size limit is
refused while it is read, before it fills the disk or waits for a probe."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from charts.services import too_large_message

# Where the view finds why the upload was stopped (request.upload_refused).
REFUSED_ATTRIBUTE = "upload_refused"


class SizeLimitUploadHandler(FileUploadHandler):
    """First of settings.FILE_UPLOAD_HANDLERS: counts each file's bytes and stops the upload
    once a file passes A2D_MAX_UPLOAD_BYTES (or says in advance that it will), leaving the
    reason on the request. The rest of the request is read and dropped, so the browser gets
    the page with the message rather than a reset connection."""

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if content_length is not None and content_length > settings.A2D_MAX_UPLOAD_BYTES:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.A2D_MAX_UPLOAD_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the handlers after this one store the file

    def _refuse(self) -> None:
        setattr(self.request, REFUSED_ATTRIBUTE, too_large_message())
        raise StopUpload(connection_reset=False)
